"""The server's heavy work takes turns: first come, first served."""

import threading

from lossdash.ui import turns
from tests.ui.test_background import wait_until


def test_turns_are_handed_on_in_the_order_they_were_asked_for():
    turn, order = turns.Turns(slots=1), []
    turn.__enter__()  # the main thread holds the turn while three threads queue up
    threads = []
    for name in "abc":
        t = threading.Thread(target=lambda n=name: (turn.__enter__(), order.append(n),
                                                    turn.__exit__(None, None, None)))
        t.start()
        threads.append(t)
        wait_until(lambda: len(turn._waiting) == len(threads))
    turn.__exit__(None, None, None)
    for t in threads:
        t.join(timeout=5)
    assert order == ["a", "b", "c"]
    assert turn._free == 1 and not turn._waiting


def test_two_slots_let_two_in_and_queue_the_third():
    turn, inside = turns.Turns(slots=2), threading.Event()
    turn.__enter__()
    turn.__enter__()  # both slots taken by this thread, without waiting
    third = threading.Thread(target=lambda: (turn.__enter__(), inside.set()))
    third.start()
    wait_until(lambda: len(turn._waiting) == 1)
    assert not inside.is_set()
    turn.__exit__(None, None, None)
    assert inside.wait(5)
    turn.__exit__(None, None, None)
    turn.__exit__(None, None, None)
    assert turn._free == 2 and not turn._waiting


def test_waiting_is_clear_until_a_frame_is_under_way_and_again_after_the_last():
    waiting = turns.Waiting()
    assert waiting.wait(0)
    with waiting:
        with waiting:  # two frames of one run at once (fast and slow panel)
            assert not waiting.wait(0.01)
        assert not waiting.wait(0.01)
    assert waiting.wait(0)


def test_a_thread_standing_back_is_woken_when_the_frame_is_done():
    waiting, result = turns.Waiting(), []
    waiting.__enter__()
    t = threading.Thread(target=lambda: result.append(waiting.wait(30)))
    t.start()
    wait_until(lambda: t.is_alive())
    assert not result  # still standing back
    waiting.__exit__(None, None, None)
    t.join(timeout=10)  # woken by the exit, long before its 30 s
    assert result == [True]
