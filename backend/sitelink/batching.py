"""Pure: which outbox rows make the next batch, the centre's watermark, the backoff."""
from __future__ import annotations

from collections.abc import Iterable, Sequence


def take(sizes: Sequence[int], max_items: int, max_bytes: int) -> int:
    """How many of the rows (their payload sizes, in seq order) the next batch carries:
    at most ``max_items`` and ``max_bytes``, but always at least one (a row larger than
    the byte bound goes alone: nothing is ever skipped)."""
    total = n = 0
    for size in sizes[:max(1, max_items)]:
        if n and total + size > max_bytes:
            break
        total += size
        n += 1
    return n


def watermark(current: int, seqs: Iterable[int]) -> int:
    """The highest seq such that every seq up to it is stored: ``current`` moved over the
    contiguous run of ``seqs`` that follows it."""
    have = set(seqs)
    w = current
    while w + 1 in have:
        w += 1
    return w


def check_batch(first_seq: int, last_seq: int, seqs: Sequence[int]) -> str | None:
    """Why a batch's numbering is malformed (None: it is not): seqs must run from first to
    last without a hole or a repeat."""
    if not seqs:
        return "a batch has at least one item"
    if list(seqs) != list(range(first_seq, last_seq + 1)):
        return "items must be numbered first_seq..last_seq in order, without a hole"
    return None


def backoff(attempt: int, base: float = 1.0, cap: float = 60.0) -> float:
    """Seconds before retry ``attempt`` (1, 2, ...): doubling from ``base``, capped."""
    return min(cap, base * 2 ** max(0, attempt - 1))
