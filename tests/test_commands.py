import datetime as dt

import pytest

from digestbot.bot.commands.grammar import (
    AskCommand,
    CategoriesCommand,
    CommandError,
    DigestCommand,
    HelpCommand,
    PaperCommand,
    SearchCommand,
    SettingsCommand,
    SubscribeCommand,
    UnsubscribeCommand,
    parse_command,
    parse_date,
)
from digestbot.summarizer.taxonomy import load_taxonomy

TAXONOMY = load_taxonomy()


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("", DigestCommand()),
        ("llm", DigestCommand(category="llm")),
        ("Computer Vision", DigestCommand(category="cv")),
        ("cv 2026-06-26", DigestCommand(category="cv", date=dt.date(2026, 6, 26))),
        ("2026-06-26", DigestCommand(date=dt.date(2026, 6, 26))),
        ("paper 2409.14674", PaperCommand(query="2409.14674")),
        ("paper mirror descent for agents", PaperCommand(query="mirror descent for agents")),
        ("search speculative decoding", SearchCommand(words="speculative decoding")),
        ("ask 2409.14674 which GPU?", AskCommand(arxiv_ref="2409.14674", question="which GPU?")),
        ("categories", CategoriesCommand()),
        ("help", HelpCommand()),
        ("unsubscribe", UnsubscribeCommand()),
        ("settings", SettingsCommand()),
        (
            "subscribe 09:00 Asia/Seoul llm cv lang:ko",
            SubscribeCommand(time=dt.time(9, 0), timezone="Asia/Seoul", categories=("llm", "cv"), language="ko"),
        ),
        ("subscribe", SubscribeCommand()),
    ],
)
def test_parses_the_design_grammar(text: str, command: object) -> None:
    assert parse_command(text, TAXONOMY) == command


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lmm", "Unknown category 'lmm' — did you mean `llm`?"),
        ("subscribe 25:00", "HH:MM"),
        ("subscribe Mars/Olympus", "IANA"),
        ("subscribe 09:00 lang:klingon", "language"),
        ("paper", "needs an arXiv id"),
        ("search", "needs some words"),
        ("ask 2409.14674", "Usage"),
        ("llm 2026-13-45", "YYYY-MM-DD"),
        ("llm 0001-01-01", "0001-01-01 is before arXiv's first announcement"),
        ("1991-08-13", "before arXiv's first announcement"),
        ("llm 9999-12-31", "9999-12-31 is in the future; arXiv's next announcement is"),
        ("search " + "x" * 400, "limit is 300"),
    ],
)
def test_mistakes_get_a_helpful_message(text: str, message: str) -> None:
    with pytest.raises(CommandError, match=message.replace("?", r"\?").replace("(", r"\(")):
        parse_command(text, TAXONOMY)


def test_unknown_category_lists_every_category() -> None:
    with pytest.raises(CommandError) as error:
        parse_command("quantum", TAXONOMY)
    assert all(slug in str(error.value) for slug in TAXONOMY.slugs)


def test_user_input_echoed_in_errors_is_inert() -> None:
    with pytest.raises(CommandError) as error:
        parse_command("<!channel> @everyone *bold*", TAXONOMY)
    message = str(error.value)
    assert "<" not in message and "@" not in message and "*" not in message


def test_dates_run_from_arxivs_first_announcement_to_its_next_one() -> None:
    thursday_night = dt.datetime(2024, 10, 4, 1, 0, tzinfo=dt.UTC)  # Thursday 21:00 in New York
    assert parse_date("1991-08-14", now=thursday_night) == dt.date(1991, 8, 14)
    assert parse_date("2024-10-06", now=thursday_night) == dt.date(2024, 10, 6)  # Sunday's, still to come
    with pytest.raises(CommandError, match="2024-10-07 is in the future; arXiv's next announcement is Sunday"):
        parse_date("2024-10-07", now=thursday_night)
