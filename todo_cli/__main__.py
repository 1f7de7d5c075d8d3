"""Entry point of the `todo` executable and of `python -m todo_cli`."""

from __future__ import annotations


def main() -> None:
    import gc

    # One short-lived process: reference counting frees nearly everything, and
    # the cyclic collector's passes over hundreds of thousands of freshly
    # imported objects cost 30-50 ms a command (a second per 100,000 tasks of
    # bulk add) while finding almost nothing to free.
    gc.disable()
    from todo_cli.cli import main as run

    run()


if __name__ == "__main__":
    main()
