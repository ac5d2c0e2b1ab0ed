"""Several workers sending at once, committing for real on a database of the test's own
(a fresh SQLite file, or a fresh PostgreSQL database beside TEST_DATABASE_URL's)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from portal.extensions import db
from portal.mail.models import MailStatus, OutboxMessage
from portal.mail.service import SendReport, queue_message, send_pending
from tests.conftest import make_app, reset_database
from tests.mail.helpers import MemoryTransport

MESSAGES = 40


@pytest.fixture
def committing_app(scratch_database: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(scratch_database, tmp_path)
    reset_database(app)
    try:
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("workers", [2, 4])
def test_parallel_workers_send_each_message_exactly_once(
    committing_app: Flask, workers: int
) -> None:
    with committing_app.app_context():
        for n in range(MESSAGES):
            queue_message(
                to=f"person{n}@example.org", subject=f"Message {n}", text="Hello", kind="test"
            )
        db.session.commit()
        db.session.remove()

    transport = MemoryTransport()
    start = threading.Barrier(workers)
    reports: list[SendReport] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with committing_app.app_context():
                start.wait()
                # Small passes, so that the workers keep coming back for more side by side.
                while (report := send_pending(transport=transport, limit=3)).handled:
                    reports.append(report)
                db.session.remove()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert not any(thread.is_alive() for thread in threads)
    delivered = Counter(transport.sent_ids)
    assert len(delivered) == MESSAGES
    assert set(delivered.values()) == {1}, "a message was sent twice"
    assert sum(r.sent for r in reports) == MESSAGES
    with committing_app.app_context():
        rows = db.session.query(OutboxMessage).all()
        assert {row.status for row in rows} == {MailStatus.SENT}
        assert {row.attempts for row in rows} == {1}
        assert {row.claim_token for row in rows} == {None}
        db.session.remove()
