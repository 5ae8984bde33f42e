"""`sounding test|poll|ask`: the command groups, each a thin layer over `Sounding.experiments`.

The commands live in small modules (tests run elsewhere, stored experiments, polls, questions);
the main CLI calls `register(app)` here, which adds all three groups.
"""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the `test`, `poll` and `ask` command groups to the main app."""
    from sounding.commands import experiments_ask, experiments_poll, experiments_store, experiments_test

    test_app = typer.Typer(
        help="A/B tests of post variants: analyse results, plan sample sizes, schedule posts.",
        no_args_is_help=True,
    )
    experiments_test.register(test_app)
    experiments_store.register(test_app)
    app.add_typer(test_app, name="test")
    experiments_poll.register(app)
    experiments_ask.register(app)
