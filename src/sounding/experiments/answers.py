"""Pool the answers to one question across platforms: native poll votes plus replies read by meaning.

A question asked with ``sounding ask`` lives as one post per platform (``posts.question_id``).
Its answers are:

* **native poll votes** - the latest poll snapshot of each post whose platform has real polls
  (Mastodon). These are anonymous counts;
* **replies** - every audience comment in the question's threads (any depth, never ours), mapped
  to an option literally ("2", "option B", "dark mode!") or by meaning (embedding cosine, see
  :mod:`sounding.experiments.reply_mapping`); the rest are "other" and quoted.

Bluesky's "poll" snapshot is itself counted from the same replies by the connector, so for
platforms in :data:`REPLY_COUNTED_POLLS` the snapshot is skipped and the replies are counted here
(otherwise every numeric reply would count twice).

**One vote per person per question**: people are (platform, author pseudonym); a person's latest
reply that names an option is their vote (changing your mind counts, a later off-topic remark
does not cancel it). People whose replies name no option count once as "other". Native poll
votes cannot be tied to people, so someone who votes in a Mastodon poll *and* answers in a reply
counts twice; the per-platform breakdown shows both sources.

The pooled counts go through :func:`sounding.experiments.polls.poll_results` (Dirichlet shares
with credible intervals, P(most preferred)); "other" is reported beside them, not as an option.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlalchemy import select

from sounding.errors import NotFoundError
from sounding.experiments.errors import ExperimentDataError
from sounding.experiments.polls import PollOption, poll_results
from sounding.experiments.reply_mapping import (
    DEFAULT_MARGIN,
    DEFAULT_THRESHOLD,
    Match,
    clean_reply,
    exact_choice,
    match_by_meaning,
    normalize,
)
from sounding.store import Store, models

#: Platforms whose stored poll snapshot is derived from the replies (see the Bluesky connector).
REPLY_COUNTED_POLLS = frozenset({"bluesky"})

Embedder = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True, slots=True)
class Reply:
    """One audience reply in a question's thread."""

    platform: str
    platform_id: str
    author: str  # the store's pseudonym
    text: str
    created_at: datetime
    url: str | None = None
    text_hash: str | None = None


@dataclass(frozen=True, slots=True)
class MappedReply:
    reply: Reply
    match: Match


@dataclass
class Pooled:
    """Votes per option from every source, one per person for replies; "other" kept with quotes."""

    options: list[str]
    poll_votes: dict[str, list[int]] = field(default_factory=dict)  # platform -> native votes
    reply_votes: dict[str, list[int]] = field(default_factory=dict)  # platform -> people by reply
    other_people: int = 0
    other_replies: list[MappedReply] = field(default_factory=list)
    answers: list[MappedReply] = field(default_factory=list)  # each person's counted reply

    @property
    def votes(self) -> list[int]:
        total = [0] * len(self.options)
        for counts in [*self.poll_votes.values(), *self.reply_votes.values()]:
            for i, v in enumerate(counts):
                total[i] += v
        return total


def pool_answers(
    options: Sequence[str],
    native: dict[str, list[int]],
    replies: Sequence[Reply],
    matches: Sequence[Match],
) -> Pooled:
    """Combine native votes and mapped replies, one reply vote per (platform, author)."""
    if len(replies) != len(matches):
        raise ValueError("one match per reply")
    pooled = Pooled(list(options), poll_votes={p: list(v) for p, v in native.items()})
    people: dict[tuple[str, str], list[MappedReply]] = {}
    for reply, match in zip(replies, matches):
        item = MappedReply(reply, match)
        people.setdefault((reply.platform, reply.author), []).append(item)
        if match.option is None:
            pooled.other_replies.append(item)
    for (platform, _), items in people.items():
        answered = [i for i in items if i.match.option is not None]
        if not answered:
            pooled.other_people += 1
            continue
        latest = max(answered, key=lambda i: (i.reply.created_at, i.reply.platform_id))
        counts = pooled.reply_votes.setdefault(platform, [0] * len(options))
        counts[latest.match.option] += 1  # type: ignore[index]
        pooled.answers.append(latest)
    pooled.other_replies.sort(key=lambda i: i.reply.created_at)
    pooled.answers.sort(key=lambda i: i.reply.created_at)
    return pooled


def map_replies(
    replies: Sequence[Reply],
    options: Sequence[str],
    *,
    stored: dict[str, np.ndarray] | None = None,
    embedder: Embedder | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    margin: float = DEFAULT_MARGIN,
) -> tuple[list[Match], int]:
    """Literal matches first, then meaning. Returns the matches and how many replies were embedded
    on the fly.

    ``stored`` maps text hashes to the analysis' embeddings; they are used only when the reply has
    no @mention or link to strip (the stored vector is of the raw text, and a leading "@brand"
    moves a short reply's vector a lot). Everything else is embedded now with ``embedder``
    (default :func:`sounding.analysis.embed.embed`).
    """
    stored = stored or {}
    matches: list[Match | None] = [None] * len(replies)
    need: list[int] = []
    for i, reply in enumerate(replies):
        choice = exact_choice(reply.text, options)
        if choice is not None:
            matches[i] = Match(choice, "exact", None)
        elif not normalize(clean_reply(reply.text)):
            matches[i] = Match(None, "other", None)
        else:
            need.append(i)
    fresh = 0
    if need:
        if embedder is None:
            from sounding.analysis.embed import embed as embedder
        option_vectors = np.asarray(embedder(list(options)), dtype=np.float32)
        vectors = np.zeros((len(need), option_vectors.shape[1]), dtype=np.float32)
        todo: list[int] = []
        for row, i in enumerate(need):
            reply = replies[i]
            vector = stored.get(reply.text_hash or "")
            if (
                vector is not None
                and vector.shape == (option_vectors.shape[1],)
                and clean_reply(reply.text) == " ".join(reply.text.split())
            ):
                vectors[row] = vector
            else:
                todo.append(row)
        if todo:
            vectors[todo] = embedder([clean_reply(replies[need[row]].text) for row in todo])
            fresh = len(todo)
        for i, match in zip(
            need, match_by_meaning(vectors, option_vectors, threshold=threshold, margin=margin)
        ):
            matches[i] = match
    return [m for m in matches if m is not None], fresh


@dataclass
class QuestionResults:
    """Everything `sounding ask results` shows."""

    question_id: int
    text: str
    options: list[str]
    posts: list[dict]
    pooled: Pooled
    results: list[PollOption]
    replies: int
    embedded_now: int
    threshold: float
    margin: float
    analysis_version: str | None

    def to_dict(self, quotes: int | None = None) -> dict:
        """JSON-ready; ``quotes`` bounds the "other" quotes (None = all)."""
        other = self.pooled.other_replies if quotes is None else self.pooled.other_replies[:quotes]
        return {
            "question_id": self.question_id,
            "question": self.text,
            "posts": self.posts,
            "options": [
                {
                    **o.__dict__,
                    "poll_votes": sum(v[i] for v in self.pooled.poll_votes.values()),
                    "reply_votes": sum(v[i] for v in self.pooled.reply_votes.values()),
                }
                for i, o in enumerate(self.results)
            ],
            "by_platform": {
                p: {
                    "poll_votes": self.pooled.poll_votes.get(p),
                    "reply_votes": self.pooled.reply_votes.get(p),
                }
                for p in sorted({*self.pooled.poll_votes, *self.pooled.reply_votes})
            },
            "other": {
                "people": self.pooled.other_people,
                "replies": len(self.pooled.other_replies),
                "quotes": [_quote(i) for i in other],
            },
            "answers": [_quote(i) for i in self.pooled.answers],
            "replies_read": self.replies,
            "embedded_now": self.embedded_now,
            "mapping": {"threshold": self.threshold, "margin": self.margin},
            "analysis_version": self.analysis_version,
        }


def _quote(item: MappedReply) -> dict:
    m = item.match
    return {
        "platform": item.reply.platform,
        "id": item.reply.platform_id,
        "text": item.reply.text,
        "url": item.reply.url,
        "option": m.option,
        "method": m.method,
        "similarity": None if m.similarity is None else round(m.similarity, 4),
    }


def question_results(
    store: Store,
    question_id: int,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    margin: float = DEFAULT_MARGIN,
    embedder: Embedder | None = None,
) -> QuestionResults:
    """Read a question's posts, polls and replies from the store and pool them (see module doc)."""
    from sounding.analysis.reader import decode_embeddings
    from sounding.analysis.views import current_version

    version = current_version(store)
    with store.session() as session:
        # an id no integer column can hold cannot name a stored question (and would overflow the driver)
        question = session.get(models.Question, question_id) if 0 < question_id < 2**63 else None
        if question is None:
            raise NotFoundError(f"no question with id {question_id}", hint="see `sounding ask list`")
        options = [str(o) for o in (question.options or [])]
        if len(options) < 2:
            raise ExperimentDataError(f"question {question_id} has no options to count")
        posts = list(
            session.scalars(
                select(models.Post).where(models.Post.question_id == question_id).order_by(models.Post.id)
            )
        )
        native = {}
        for post in posts:
            if post.platform in REPLY_COUNTED_POLLS:
                continue
            snap = session.scalars(
                select(models.PollSnapshot)
                .join(models.Poll, models.Poll.id == models.PollSnapshot.poll_id)
                .where(models.Poll.post_id == post.id)
                .order_by(models.PollSnapshot.taken_at.desc())
                .limit(1)
            ).first()
            if snap is not None:
                counts = align_votes(options, list(snap.options), list(snap.votes))
                previous = native.get(post.platform, [0] * len(options))
                native[post.platform] = [a + b for a, b in zip(previous, counts)]
        rows = session.execute(
            select(models.Comment)
            .where(models.Comment.post_id.in_([p.id for p in posts]), models.Comment.ours.is_(False))
            .order_by(models.Comment.created_at, models.Comment.id)
        ).scalars()
        replies = [
            Reply(c.platform, c.platform_id, c.author, c.text, c.created_at, c.url, c.text_hash) for c in rows
        ]
        stored: dict[str, np.ndarray] = {}
        hashes = sorted({r.text_hash for r in replies if r.text_hash})
        if version and hashes:
            for start in range(0, len(hashes), 500):
                found = session.execute(
                    select(models.Enrichment.text_hash, models.Enrichment.embedding).where(
                        models.Enrichment.model_version == version,
                        models.Enrichment.text_hash.in_(hashes[start : start + 500]),
                        models.Enrichment.embedding.is_not(None),
                    )
                ).all()
                if found:
                    vectors = decode_embeddings([blob for _, blob in found])
                    stored.update({h: vectors[i] for i, (h, _) in enumerate(found)})
        post_info = [{"platform": p.platform, "id": p.platform_id, "url": p.url} for p in posts]
        text = question.text
    matches, fresh = map_replies(
        replies, options, stored=stored, embedder=embedder, threshold=threshold, margin=margin
    )
    pooled = pool_answers(options, native, replies, matches)
    return QuestionResults(
        question_id=question_id,
        text=text,
        options=options,
        posts=post_info,
        pooled=pooled,
        results=poll_results(dict(zip(_unique(options), pooled.votes))),
        replies=len(replies),
        embedded_now=fresh,
        threshold=threshold,
        margin=margin,
        analysis_version=version,
    )


def align_votes(options: Sequence[str], snap_options: Sequence[str], votes: Sequence[int]) -> list[int]:
    """A snapshot's votes in the question's option order: by text, else by position."""
    out = [0] * len(options)
    index = {normalize(o): i for i, o in enumerate(options)}
    by_text = [index.get(normalize(str(o))) for o in snap_options]
    if all(i is not None for i in by_text):
        for i, v in zip(by_text, votes):
            out[i] += int(v)  # type: ignore[index]
    elif len(snap_options) == len(options):  # e.g. an instance shortened the option titles
        out = [int(v) for v in votes]
    else:
        raise ExperimentDataError(
            f"poll options {list(snap_options)} do not match the question's {list(options)}"
        )
    return out


def _unique(options: Sequence[str]) -> list[str]:
    """Option labels as dict keys (two identical option texts would otherwise collapse)."""
    seen: dict[str, int] = {}
    out = []
    for o in options:
        seen[o] = seen.get(o, 0) + 1
        out.append(o if seen[o] == 1 else f"{o} ({seen[o]})")
    return out
