from tracker.api import Tracker


def test_an_appended_event_is_read_back_equal(tracker: Tracker) -> None:
    result = tracker.append(
        {
            "type": "praise",
            "actor": "North Korea",
            "target": "Russia",
            "occurred_on": "2024-03-18",
            "event_id": "e1",
        }
    )
    assert (result.seq, result.event_id, result.created) == (1, "e1", True)
    [stored] = list(tracker.events())
    assert stored.event.actor == "PRK" and stored.event.target == "RUS"
    assert tracker.head().hash == stored.hash == result.hash
