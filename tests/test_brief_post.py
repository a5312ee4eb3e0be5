"""The brief daily post through the real Slack and Discord clients against the local fakes:
the chart in the parent, the budgets of a 300-paper day, every paper reachable, interests."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from digestbot.adapters.discord import PLATFORM as DISCORD
from digestbot.adapters.discord.brief import BUDGET as DISCORD_BUDGET
from digestbot.adapters.discord.connection import make_client
from digestbot.adapters.discord.transport import DiscordTransport, Pace
from digestbot.adapters.slack import PLATFORM as SLACK
from digestbot.adapters.slack.brief import BUDGET as SLACK_BUDGET
from digestbot.adapters.slack.brief import render_brief as slack_brief
from digestbot.adapters.slack.transport import (
    IMAGE_PROCESSING_WAIT,
    Pacer,
    SlackTransport,
    build_clients,
)
from digestbot.bot.layout.brief import PICKS_MAX, PICKS_MIN, PostBudget, brief_post
from digestbot.bot.layout.markdown import render_digest
from digestbot.bot.ports import OutgoingMessage
from digestbot.summarizer.models import Digest
from digestbot.summarizer.phrases import phrase
from digestbot.summarizer.ranking import ranked_for
from digestbot.summarizer.trends import CategoryTrend
from tests.brief_helpers import (
    ARXIV_ID,
    DISCORD_PICK,
    SLACK_PICK,
    big_day,
    picks_per_category,
    sample_day,
    slack_visible,
)
from tests.fakes.discord_api import FakeDiscord, running_fake
from tests.fakes.slack_api import FakeSlackApi
from tests.helpers import make_paper, offline_digest
from tests.test_slack_transport import FakeClock

CHANNEL = "C0DIGEST"
DISCORD_CHANNEL = 111_111_111_111_111_111
PNG = b"\x89PNG fake chart"
SNAPSHOTS = Path(__file__).parent / "snapshots"
DAYS = {"532 papers": big_day, "261 papers": sample_day}


@pytest.fixture(scope="module")
def built() -> dict[str, Digest]:
    """Both days built once, outside any event loop (the offline pipeline runs its own)."""
    return {name: make() for name, make in DAYS.items()}


@pytest.fixture
def slack() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as fake:
        yield fake


@pytest.fixture
def discord_api() -> Iterator[FakeDiscord]:
    with running_fake() as server:
        server.add_channel(DISCORD_CHANNEL)
        yield server


def slack_transport(slack: FakeSlackApi, clock: FakeClock | None = None) -> SlackTransport:
    client, post_client = build_clients(token=FakeSlackApi.BOT_TOKEN, base_url=slack.api_url)
    clock = clock or FakeClock()
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    return SlackTransport(client=client, post_client=post_client, pacer=pacer, sleep=clock.sleep)


async def post_all(transport: SlackTransport | DiscordTransport, channel: str, parts: list[OutgoingMessage]) -> str:
    """What delivery does: the parent, then every part into its thread."""
    parent = await transport.send(channel, parts[0], thread_id=None, idempotency_key="k-0")
    for number, part in enumerate(parts[1:], start=1):
        await transport.send(channel, part, thread_id=parent, idempotency_key=f"k-{number}")
    return parent


def attached_ids(parts: list[OutgoingMessage]) -> set[str]:
    files = [part.attachment[1].decode() for part in parts if part.attachment and part.attachment[0].endswith(".md")]
    return {match for text in files for match in ARXIV_ID.findall(text)}


@pytest.mark.parametrize("day", DAYS)
async def test_slack_shows_the_chart_in_the_parent_within_budget_and_every_paper_reachable(
    slack: FakeSlackApi, built: dict[str, Digest], day: str
) -> None:
    digest = built[day]
    transport = slack_transport(slack)
    parts = list(SLACK.render_digest(digest, PNG, detail="brief"))

    parent_ts = await post_all(transport, CHANNEL, parts)

    posted = slack.posted(CHANNEL)
    parent = posted[0]
    assert parent["ts"] == parent_ts and "thread_ts" not in parent
    [image] = [block for block in parent["blocks"] if block["type"] == "image"]
    [chart] = [f for f in slack.files if f.file_id == image["slack_file"]["id"]]
    assert chart.content == PNG and chart.channel is None  # shown by the block, not shared as a file
    shared = [f for f in slack.files if f.channel is not None]  # each is a message in the thread
    assert len(posted) + len(shared) <= 8
    assert all(f.thread_ts == parent_ts and f.filename.endswith(".md") for f in shared)
    visible = sum(len(slack_visible(m["blocks"])) for m in posted)
    assert visible <= 20_000
    linked = {i for m in posted for i in ARXIV_ID.findall(json.dumps(m["blocks"]))}
    in_file = {i for f in shared for i in ARXIV_ID.findall(f.content.decode())}
    assert {p.arxiv_id for p in digest.papers} <= linked | in_file
    picked = {i for m in posted for i in SLACK_PICK.findall(json.dumps(m["blocks"], ensure_ascii=False))}
    assert min(picks_per_category(digest, picked).values()) >= PICKS_MIN


async def test_a_refused_chart_upload_still_posts_the_parent_and_says_so(
    slack: FakeSlackApi, built: dict[str, Digest]
) -> None:
    transport = slack_transport(slack)
    parts = list(SLACK.render_digest(built["261 papers"], PNG, detail="brief"))
    slack.error_next("files.completeUploadExternal", "file_uploads_disabled")

    await transport.send(CHANNEL, parts[0], thread_id=None, idempotency_key="k-0")

    [parent] = slack.posted(CHANNEL)
    assert not [block for block in parent["blocks"] if block["type"] == "image"]
    assert phrase("chart.unavailable", "en", reason="file_uploads_disabled") in slack_visible(parent["blocks"])


async def post_parent_while_uploads_process(
    slack: FakeSlackApi, digest: Digest, clock: FakeClock, *, posts: int
) -> tuple[OutgoingMessage, str]:
    """Post the brief parent while Slack keeps refusing a new upload's image block ``posts`` times."""
    parent = SLACK.render_digest(digest, PNG, detail="brief")[0]
    slack.process_uploads_slowly(posts=posts)
    parent_ts = await slack_transport(slack, clock).send(CHANNEL, parent, thread_id=None, idempotency_key="k-0")
    return parent, parent_ts


async def test_a_chart_still_being_processed_is_posted_again_after_a_short_wait(
    slack: FakeSlackApi, built: dict[str, Digest]
) -> None:
    clock = FakeClock()

    await post_parent_while_uploads_process(slack, built["261 papers"], clock, posts=1)

    [parent] = slack.posted(CHANNEL)
    [image] = [block for block in parent["blocks"] if block["type"] == "image"]
    assert [f.file_id for f in slack.files] == [image["slack_file"]["id"]]  # uploaded once, shown
    assert len(slack.calls_to("chat.postMessage")) == 2 and IMAGE_PROCESSING_WAIT in clock.sleeps


async def test_a_chart_slack_keeps_refusing_goes_into_the_thread_and_the_parent_is_never_lost(
    slack: FakeSlackApi, built: dict[str, Digest]
) -> None:
    clock = FakeClock()

    rendered, parent_ts = await post_parent_while_uploads_process(slack, built["261 papers"], clock, posts=5)

    [parent] = slack.posted(CHANNEL)
    assert parent["ts"] == parent_ts and not [block for block in parent["blocks"] if block["type"] == "image"]
    expected = [block for block in rendered.payload["blocks"] if block["type"] != "image"]
    assert parent["blocks"] == expected  # every line of the parent, only the picture moved
    [shared] = [f for f in slack.files if f.channel is not None]
    assert (shared.channel, shared.thread_ts, shared.content) == (CHANNEL, parent_ts, PNG)
    assert clock.sleeps.count(IMAGE_PROCESSING_WAIT) == 1  # one short wait, not a loop
    assert len(slack.calls_to("chat.postMessage")) == 3


async def test_slack_refuses_an_image_block_naming_a_file_that_does_not_exist(slack: FakeSlackApi) -> None:
    transport = slack_transport(slack)
    block = {"type": "image", "slack_file": {"id": "F999999"}, "alt_text": "chart"}
    message = OutgoingMessage(text="x", payload={"blocks": [block]})

    with pytest.raises(Exception, match="invalid_blocks"):
        await transport.send(CHANNEL, message, thread_id=None, idempotency_key="k")


@pytest.mark.parametrize("day", DAYS)
async def test_discord_attaches_the_chart_to_the_parent_within_budget_and_every_paper_reachable(
    discord_api: FakeDiscord, built: dict[str, Digest], day: str
) -> None:
    digest = built[day]
    transport = DiscordTransport(make_client(), token=discord_api.token, pace=Pace(burst=1_000, per_seconds=0.001))
    parts = list(DISCORD.render_digest(digest, PNG, detail="brief"))

    parent = await post_all(transport, str(DISCORD_CHANNEL), parts)
    await transport.close()

    [parent_post] = discord_api.requests_to("POST", rf"/channels/{DISCORD_CHANNEL}/messages")
    assert [f.filename for f in parent_post.files] == [
        "digest-2026-06-30.png" if "532" in day else "digest-2026-06-26.png"
    ]
    assert parent_post.payload["embeds"][0]["image"]["url"].startswith("attachment://digest-")
    thread_posts = discord_api.requests_to("POST", rf"/channels/{parent}/messages")
    assert 1 + len(thread_posts) <= 10
    linked = {i for post in [parent_post, *thread_posts] for i in ARXIV_ID.findall(json.dumps(post.payload))}
    assert {p.arxiv_id for p in digest.papers} <= linked | attached_ids(parts)
    payloads = [json.dumps(post.payload, ensure_ascii=False) for post in [parent_post, *thread_posts]]
    picked = {i for payload in payloads for i in DISCORD_PICK.findall(payload)}
    assert min(picks_per_category(digest, picked).values()) >= PICKS_MIN
    md_files = [f.filename for post in thread_posts for f in post.files]
    assert md_files == ([f"digest-{digest.date}.md"] if attached_ids(parts) else [])


def test_the_attached_file_is_the_full_digest_every_digest_command_writes() -> None:
    digest = big_day()
    post = brief_post(
        digest, budget=PostBudget(messages=8, characters=20_000, message_characters=11_000, link_markup=40)
    )

    assert post.full_file == ("digest-2026-06-30.md", render_digest(digest).encode())
    assert {p.arxiv_id for p in digest.papers} - post.reachable(), "a 532-paper day needs the file"


@pytest.mark.parametrize("budget", [SLACK_BUDGET, DISCORD_BUDGET], ids=["slack", "discord"])
def test_reading_time_stays_under_five_minutes_with_three_picks_a_category_on_a_big_day(budget: PostBudget) -> None:
    digest = big_day()
    post = brief_post(digest, budget=budget)

    assert post.reading_words() / 230 <= 5
    assert all(1 <= len(c.picks) <= PICKS_MAX for c in post.categories())
    shown = post.picks_per_category()
    assert all(shown[s.category.name] >= PICKS_MIN for s in digest.sections if len(s.papers) >= PICKS_MIN)
    in_parent = {pick.category: 0 for pick in post.parent.top}
    for pick in post.parent.top:
        in_parent[pick.category] += 1
    # Its own thread message too: three of the papers the parent did not already show.
    assert all(len(c.picks) >= PICKS_MIN for c in post.categories() if c.count - in_parent.get(c.name, 0) >= PICKS_MIN)


def test_the_reading_time_counts_every_line_but_the_title_lists() -> None:
    """Headings, notes, "+N more" lines and interest marks are read too; only the compact lists
    of titles are skimmed."""
    post = brief_post(big_day(), budget=SLACK_BUDGET)
    folded = next(c for c in post.categories() if c.more)

    without_more = replace(post, more_template="")
    without_lists = replace(post, thread=tuple(tuple(replace(c, rest=()) for c in g) for g in post.thread))

    assert post.reading_words() - without_more.reading_words() == len(post.more_line(folded).split()) * sum(
        1 for c in post.categories() if c.more
    )
    assert post.reading_words() - without_lists.reading_words() == len(post.also_label.split()) * sum(
        1 for c in post.categories() if c.rest
    )


def test_interests_raise_matching_papers_into_the_top_picks_and_mark_them() -> None:
    digest = sample_day()
    budget = PostBudget(messages=8, characters=20_000, message_characters=11_000, link_markup=40)
    before = [pick.paper.arxiv_id for pick in brief_post(digest, budget=budget).parent.top]
    focused = digest.model_copy(update={"ranks": ranked_for(digest, ("Elo rating",))})

    post = brief_post(focused, budget=budget)

    chess = next(p.arxiv_id for p in digest.papers if "Elo Rating" in p.title)
    assert chess not in before
    assert post.parent.top[0].paper.arxiv_id == chess and post.parent.top[0].interests == ("Elo rating",)
    rendered = json.dumps([m.payload for m in slack_brief(focused, PNG)], ensure_ascii=False)
    assert "★ matches your interest: Elo rating" in rendered


def test_every_line_of_the_brief_post_speaks_the_subscription_language() -> None:
    post = brief_post(
        big_day("ko"), budget=PostBudget(messages=8, characters=20_000, message_characters=11_000, link_markup=40)
    )

    assert post.parent.top_heading == "오늘의 추천 5편"
    assert "스레드" in post.parent.hint and post.also_label == "오늘의 다른 논문"
    folded = next(c for group in post.thread for c in group if c.more)
    assert "첨부 파일" in post.more_line(folded)
    assert all("today" not in c.summary for group in post.thread for c in group)


def small_digest() -> Digest:
    titles = [
        "Speculative decoding & friends",
        "Seeing <things> in video",
        "Quantized kernels for LLM inference",
        "Reward models for robot policies",
        "Clinical notes with language models",
        "Image segmentation at scale",
    ]
    return offline_digest([make_paper(f"2606.0000{i}", title=t) for i, t in enumerate(titles, start=1)])


@pytest.mark.parametrize("platform", ["slack", "discord"])
def test_snapshot_of_a_small_brief_post(platform: str) -> None:
    """The exact payloads of a fixed brief post; regenerate with UPDATE_SNAPSHOTS=1 after
    checking that a change is intended (``detail: full`` keeps its own snapshots)."""
    digest = small_digest()
    parts = (SLACK if platform == "slack" else DISCORD).render_digest(digest, PNG, detail="brief")
    rendered = [
        {"text": m.text, "payload": m.payload, "attachment": m.attachment and [m.attachment[0], len(m.attachment[1])]}
        for m in parts
    ]
    current = json.dumps(rendered, indent=2, ensure_ascii=False) + "\n"
    snapshot = SNAPSHOTS / f"{platform}_brief.json"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        snapshot.write_text(current, encoding="utf-8")
    assert snapshot.exists(), "no snapshot yet: run with UPDATE_SNAPSHOTS=1"
    assert current == snapshot.read_text(encoding="utf-8")


def test_a_moved_category_gets_one_trend_line_in_the_parent() -> None:
    trends = (CategoryTrend("LLM", 90, 61.2), CategoryTrend("Computer Vision", 10, 30.0))

    parent = slack_brief(small_digest(), PNG, trends=trends)[0]

    text = slack_visible(parent.payload["blocks"])
    assert "LLM: 90 today, 61 a day last week" in text and "Computer Vision: 10 today" not in text
