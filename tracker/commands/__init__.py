"""CLI subcommands, one module per area; each is imported only when its command runs."""
