"""The audit's output directory: the one place results are written, and what a resume reads.

    OUT/reports.jsonl   one JSON report per checked page (the report object of ``claimcheck --format json``
                        plus ``key``), appended as pages finish
    OUT/audit.sqlite    tables pages, sentences, findings (and meta) for querying
    OUT/pages/          one HTML report per checked page, named by ``page_report_name(key)``
    OUT/cache/          the fetched pages, so a rerun does not fetch them again

Exactly once: a finished page's HTML report is written (a temporary file renamed into place), then
its line is appended to reports.jsonl and flushed to disk, before the transaction that marks it
done commits. On opening, a torn last line is cut off and any line whose page is not yet marked
done is replayed into the tables. So after a kill at any instant every page
is either done in both places or in neither, and is never written twice; a done page's HTML
report exists unless its rendering failed or the audit predates them (the dashboard writer renders
those from their JSONL lines, see dashboard.py).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..records import Page
from .work import Outcome, rows_from_record

PAGES_DIR = "pages"
PARTIAL_DIR = ".partial"  # under pages/: HTML reports being written, emptied on opening


def page_report_name(key: str) -> str:
    """The file name of a page's HTML report in OUT/pages/: the first 16 hex digits of SHA-256 of its key."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16] + ".html"


def write_page_report(pages: Path, key: str, html: str) -> Path:
    """Write ``html`` as the report of page ``key`` in the folder ``pages`` atomically; return its path."""
    name = page_report_name(key)
    partial = pages / PARTIAL_DIR
    partial.mkdir(parents=True, exist_ok=True)
    tmp = partial / f"{name}.{os.getpid()}.tmp"
    tmp.write_text(html, encoding="utf-8")
    path = pages / name
    os.replace(tmp, path)
    return path


SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pages (
    key TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    locator TEXT NOT NULL,
    origin TEXT NOT NULL,          -- list | sitemap | crawl | folder | warc | url
    host TEXT,
    depth INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'queued',   -- queued | done | failed | skipped
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    exit_code INTEGER,
    final_url TEXT,
    title TEXT,
    language TEXT,
    units INTEGER,
    claims INTEGER,
    flagged INTEGER,
    findings INTEGER,
    max_severity TEXT,
    seconds REAL,
    finished_at TEXT
);
CREATE INDEX IF NOT EXISTS pages_status ON pages (status, seq);
CREATE TABLE IF NOT EXISTS sentences (
    page_key TEXT NOT NULL, idx INTEGER NOT NULL, text TEXT NOT NULL, types TEXT NOT NULL,
    strength TEXT, evidence TEXT NOT NULL, flagged INTEGER NOT NULL,
    PRIMARY KEY (page_key, idx)
);
CREATE TABLE IF NOT EXISTS findings (
    page_key TEXT NOT NULL, sentence_idx INTEGER, rule TEXT NOT NULL, severity TEXT NOT NULL,
    message TEXT NOT NULL, phrase TEXT
);
CREATE INDEX IF NOT EXISTS findings_page ON findings (page_key);
"""


@dataclass(frozen=True)
class Entry:
    """A page of the audit's frontier."""

    key: str
    seq: int
    locator: str
    origin: str
    depth: int
    status: str
    attempts: int


class AuditStore:
    """Open (or create) an audit directory; reconcile what a killed run left behind."""

    def __init__(self, out: str | Path) -> None:
        self.out = Path(out)
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create the output directory ({exc.strerror})", str(out)) from None
        if not os.access(self.out, os.W_OK):
            raise InputError("the output directory is not writable", str(out))
        self.jsonl_path = self.out / "reports.jsonl"
        self.db_path = self.out / "audit.sqlite"
        self.pages_path = self.out / PAGES_DIR
        self._clear_partial()
        try:
            self.db = sqlite3.connect(self.db_path, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise InputError(f"{self.db_path.name} is not a claimcheck audit database ({exc})", str(out)) from None
        self._next_seq = (self.db.execute("SELECT MAX(seq) FROM pages").fetchone()[0] or 0) + 1
        self._rows = self.count()
        self.replayed = self._reconcile()
        self.jsonl = self.jsonl_path.open("ab")

    # -- meta -------------------------------------------------------------------------------------
    def get_meta(self, name: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def set_meta(self, name: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", (name, value))

    # -- frontier ---------------------------------------------------------------------------------
    def add(self, rows: Iterable, limit: int | None = None) -> int:
        """Add frontier rows (objects with key, locator, origin, host, depth, error) not already present.

        A row with an ``error`` is recorded as skipped with that reason. At most ``limit`` pages are
        ever held; return how many rows were new.
        """
        added = 0
        with self._transaction():
            for row in rows:
                if limit is not None and self._rows >= limit:
                    break
                if self._insert_if_new(row.key, row.locator, row.origin, row.host, row.depth):
                    added += 1
                    if row.error:
                        self.db.execute(
                            "UPDATE pages SET status = ?, error = ?, exit_code = 2 WHERE key = ?", (row.status, row.error, row.key)
                        )
        return added

    def _insert_if_new(self, key: str, locator: str, origin: str, host: str | None, depth: int) -> bool:
        cur = self.db.execute(
            "INSERT OR IGNORE INTO pages (key, seq, locator, origin, host, depth) VALUES (?, ?, ?, ?, ?, ?)",
            (key, self._next_seq, locator, origin, host, depth),
        )
        if cur.rowcount:
            self._next_seq += 1
            self._rows += 1
            return True
        return False

    def pending(self, after_seq: int, limit: int = 500) -> list[Entry]:
        """Queued and failed pages after ``after_seq``, in order."""
        rows = self.db.execute(
            "SELECT key, seq, locator, origin, depth, status, attempts FROM pages"
            " WHERE status IN ('queued', 'failed') AND seq > ? ORDER BY seq LIMIT ?",
            (after_seq, limit),
        ).fetchall()
        return [Entry(*row) for row in rows]

    def count(self, status: str | None = None) -> int:
        if status is None:
            return self.db.execute("SELECT COUNT(*) FROM pages").fetchone()[0]
        return self.db.execute("SELECT COUNT(*) FROM pages WHERE status = ?", (status,)).fetchone()[0]

    def counts(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT status, COUNT(*) FROM pages GROUP BY status").fetchall())

    # -- results ----------------------------------------------------------------------------------
    def write(
        self,
        results: list[tuple[Outcome, str | None]],
        new_links: Iterable = (),
        skipped: Iterable[tuple[str, str]] = (),
        limit: int | None = None,
    ) -> None:
        """Record finished pages ((outcome, final URL) pairs), skipped pages ((key, reason) pairs) and
        the crawl links they led to (frontier rows, up to ``limit`` pages in all), atomically.

        Finished pages' HTML reports are in place before their lines are appended to reports.jsonl."""
        for outcome, _ in results:
            if outcome.ok and outcome.html is not None:
                write_page_report(self.pages_path, outcome.key, outcome.html)
        lines = [o.line.encode("utf-8") + b"\n" for o, _ in results if o.ok]
        if lines:
            self.jsonl.write(b"".join(lines))
            self.jsonl.flush()
            os.fsync(self.jsonl.fileno())
        now = time.strftime("%Y-%m-%dT%H:%M:%S")
        with self._transaction():
            for outcome, final_url in results:
                if outcome.ok:
                    checked = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(outcome.checked_at)) if outcome.checked_at else now
                    self._record_done(
                        outcome.key, outcome.page_row, outcome.sentence_rows, outcome.finding_rows, final_url, outcome.seconds, checked
                    )
                else:
                    self.db.execute(
                        "UPDATE pages SET status = 'failed', error = ?, exit_code = ?, attempts = attempts + 1, final_url = ?,"
                        " seconds = ?, finished_at = ? WHERE key = ? AND status != 'done'",
                        (outcome.error, outcome.exit_code, final_url, outcome.seconds, now, outcome.key),
                    )
            for key, reason in skipped:
                self.db.execute("UPDATE pages SET status = 'skipped', error = ? WHERE key = ? AND status != 'done'", (reason, key))
            for row in new_links:
                if limit is not None and self._rows >= limit:
                    break
                self._insert_if_new(row.key, row.locator, row.origin, row.host, row.depth)

    def _record_done(self, key, page_row, sentence_rows, finding_rows, final_url, seconds, now) -> None:
        self.db.execute(
            "UPDATE pages SET status = 'done', error = NULL, exit_code = 0, attempts = attempts + 1, final_url = ?,"
            " title = ?, language = ?, units = ?, claims = ?, flagged = ?, findings = ?, max_severity = ?,"
            " seconds = ?, finished_at = ? WHERE key = ?",
            (final_url, *page_row, seconds, now, key),
        )
        self.db.execute("DELETE FROM sentences WHERE page_key = ?", (key,))
        self.db.execute("DELETE FROM findings WHERE page_key = ?", (key,))
        self.db.executemany("INSERT OR REPLACE INTO sentences VALUES (?, ?, ?, ?, ?, ?, ?)", sentence_rows)
        self.db.executemany("INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?)", finding_rows)

    def close(self) -> None:
        """Close the files; the database leaves WAL mode, so no -wal or -shm file is left beside it."""
        self.jsonl.close()
        try:
            self.db.execute("PRAGMA journal_mode=DELETE")
        except sqlite3.OperationalError:  # another program holds the database open: keep WAL
            pass
        self.db.close()

    def _clear_partial(self) -> None:
        """Remove HTML reports a killed run left half written (their pages are not done)."""
        partial = self.pages_path / PARTIAL_DIR
        try:
            self.pages_path.mkdir(exist_ok=True)
            for tmp in partial.glob("*.tmp"):
                tmp.unlink(missing_ok=True)
        except OSError as exc:
            raise InputError(f"cannot write the page reports folder ({exc.strerror})", str(self.pages_path)) from None

    # -- recovery ---------------------------------------------------------------------------------
    def _reconcile(self) -> int:
        """Cut a torn last line, drop duplicate lines, and replay lines whose page is not marked done."""
        if not self.jsonl_path.exists():
            return 0
        data = self.jsonl_path.read_bytes()
        end = data.rfind(b"\n") + 1
        done = {row[0] for row in self.db.execute("SELECT key FROM pages WHERE status = 'done'")}
        seen: set[str] = set()
        keep: list[bytes] = []
        replay: list[dict] = []
        duplicates = False
        for raw in data[:end].splitlines():
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
                key = record["key"]
            except (ValueError, KeyError, TypeError):
                duplicates = True  # an unreadable line is dropped; its page is checked again
                continue
            if key in seen:
                duplicates = True
                continue
            seen.add(key)
            keep.append(raw)
            if key not in done:
                replay.append(record)
        if duplicates or end != len(data):
            tmp = self.jsonl_path.with_suffix(".jsonl.tmp")
            tmp.write_bytes(b"".join(line + b"\n" for line in keep))
            os.replace(tmp, self.jsonl_path)
        if replay:
            now = time.strftime("%Y-%m-%dT%H:%M:%S")
            with self._transaction():
                for record in replay:
                    key = record["key"]
                    self._insert_if_new(key, record.get("source") or key, "list", None, 0)
                    page_row, sentence_rows, finding_rows = rows_from_record(record)
                    self._record_done(key, page_row, sentence_rows, finding_rows, record.get("url"), None, now)
        return len(replay)

    def _transaction(self):
        return _Transaction(self.db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type, exc, tb) -> None:
        self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")


class PageCache:
    """Fetched pages on disk, keyed by URL, so a rerun does not fetch them again."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, url: str) -> Path:
        digest = hashlib.sha256(url.encode("utf-8")).hexdigest()
        return self.root / digest[:2] / f"{digest}.json.gz"

    def get(self, url: str) -> Page | None:
        path = self._path(url)
        try:
            data = json.loads(gzip.decompress(path.read_bytes()))
        except (OSError, ValueError, EOFError):
            return None
        return Page(**data)

    def put(self, url: str, page: Page) -> None:
        path = self._path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        fields = {
            "source": page.source,
            "text": page.text,
            "kind": page.kind,
            "url": page.url,
            "content_type": page.content_type,
            "encoding": page.encoding,
        }
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(gzip.compress(json.dumps(fields, ensure_ascii=False).encode("utf-8"), compresslevel=1))
        os.replace(tmp, path)
