"""python manage.py report FACT --by LEVELS --measures MEASURES [...]"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from reports import compare, output
from reports.cubes import (
    FACTS,
    Query,
    QueryError,
    parse_date,
    parse_filters,
    parse_names,
    run_query,
)


def _date(value: str):
    try:
        return parse_date(value)
    except QueryError as exc:
        raise CommandError(str(exc)) from None


class Command(BaseCommand):
    help = (
        "Ask the semantic layer: totals of a fact's measures by levels, as CSV, JSON or a table."
    )

    def add_arguments(self, parser):
        parser.add_argument("fact", choices=sorted(FACTS))
        parser.add_argument("--by", type=parse_names, default=[], help="levels, comma-separated")
        parser.add_argument("--measures", type=parse_names, required=True)
        parser.add_argument(
            "--filter",
            action="append",
            default=[],
            metavar="LEVEL=VALUE",
            help="repeatable; a level named twice takes any of its values",
        )
        parser.add_argument("--from", dest="date_from", type=_date)
        parser.add_argument("--to", dest="date_to", type=_date)
        parser.add_argument(
            "--sort", type=parse_names, default=[], help="--sort=-name for descending"
        )
        parser.add_argument("--limit", type=int)
        parser.add_argument("--format", choices=["csv", "json", "table"], default="table")
        parser.add_argument("--user", help="apply this user's store scope (default: all stores)")
        parser.add_argument(
            "--compare",
            choices=sorted(compare.CHOICES),
            help="add the first measure over another period, and its change",
        )
        parser.add_argument("--raw", action="store_true", help="read the fact table, no rollup")
        parser.add_argument("--sql", action="store_true", help="print the SQL and source too")

    def handle(self, *args, **o):
        query = Query(
            fact=o["fact"],
            by=o["by"],
            measures=o["measures"],
            filters=self._filters(o["filter"]),
            date_from=o["date_from"],
            date_to=o["date_to"],
            sort=o["sort"],
            limit=o["limit"],
        )
        user = self._user(o["user"]) if o["user"] else None
        try:
            the_plan = (
                compare.plan(FACTS[query.fact], query, o["compare"]) if o["compare"] else None
            )
            result = run_query(
                the_plan.current if the_plan else query,
                user=user,
                all_stores=user is None,
                raw=o["raw"],
            )
            if the_plan:
                other = run_query(the_plan.other, user=user, all_stores=user is None, raw=o["raw"])
                compare.compared(result, other, FACTS[query.fact])
        except QueryError as exc:
            raise CommandError(str(exc)) from None
        if o["format"] == "csv":
            self.stdout.write(output.to_csv(result), ending="")
        elif o["format"] == "json":
            self.stdout.write(output.dumps(output.to_json(result)))
        else:
            self.stdout.write(output.to_table(result))
        if o["sql"]:
            self.stderr.write(f"-- source: {result.source}\n{result.sql}\n-- {result.params}")

    def _filters(self, items: list[str]) -> dict[str, list[str]]:
        try:
            return parse_filters(items, "=")
        except QueryError as exc:
            raise CommandError(f"--{exc}") from None

    def _user(self, username: str):
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no user {username!r}") from None
