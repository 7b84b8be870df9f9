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
