"""What only PostgreSQL has: row locks that hold until the commit, the customer search's full-text
index (the same answers as the token index), a deadlock's victim run again. The rest of the suite
runs on PostgreSQL too when POS_TEST_DATABASE_URL is set."""

from __future__ import annotations

import threading

import pytest

from pos_tui import db, models
from pos_tui.services import customer_search, generator
from pos_tui.services.numbering import next_value
from tests.targets import ON_POSTGRES

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL: set POS_TEST_DATABASE_URL")


@pytest.fixture
def other(db_path):
    """A second connection to the same database, as another till's."""
    import psycopg2

    conn = psycopg2.connect(db_path)
    yield conn
    conn.close()


def locked_elsewhere(conn, sql: str) -> bool:
    import psycopg2

    with conn.cursor() as cur:
        try:
            cur.execute(sql + " FOR UPDATE NOWAIT")
            return False
        except psycopg2.errors.LockNotAvailable:
            return True
        finally:
            conn.rollback()


def test_a_customer_row_stays_locked_until_the_commit(shop, other):
    with db.write():
        db.lock_row(models.Customer, 1)
        assert locked_elsewhere(other, "SELECT id FROM customer WHERE id = 1")
        assert not locked_elsewhere(other, "SELECT id FROM customer WHERE id = 2")  # only that one
    assert not locked_elsewhere(other, "SELECT id FROM customer WHERE id = 1")


def test_a_number_series_stays_locked_until_the_commit(shop, other):
    with db.write():
        assert next_value("invoice:F2026") == 1
    with db.write():
        assert next_value("invoice:F2026") == 2
        assert locked_elsewhere(other, "SELECT name FROM sequence WHERE name = 'invoice:F2026'")
    assert not locked_elsewhere(other, "SELECT name FROM sequence WHERE name = 'invoice:F2026'")


def test_a_deadlock_victim_is_run_again(shop, other):
    """This process locks customer 1 then 2; another connection 2 then 1. PostgreSQL aborts the
    one whose deadlock check runs first (ours: the other waits 10 s before checking); the service
    runs again once the other has committed, and succeeds."""
    calls = []
    ours_holds_one, theirs_holds_two = threading.Event(), threading.Event()

    @db.transactional
    def move_points():
        calls.append(1)
        db.lock_row(models.Customer, 1)
        if len(calls) == 1:
            ours_holds_one.set()
            theirs_holds_two.wait(10)
        db.lock_row(models.Customer, 2)
        models.Customer.update(points=models.Customer.points + 1).where(models.Customer.id.in_([1, 2])).execute()

    def theirs():
        with other.cursor() as cur:
            cur.execute("SET deadlock_timeout = '10s'")
            cur.execute("SELECT id FROM customer WHERE id = 2 FOR UPDATE")
            ours_holds_one.wait(10)
            theirs_holds_two.set()
            cur.execute("SELECT id FROM customer WHERE id = 1 FOR UPDATE")
            cur.execute("UPDATE customer SET points = points + 10 WHERE id IN (1, 2)")
        other.commit()

    thread = threading.Thread(target=theirs)
    thread.start()
    move_points()
    thread.join(15)
    assert len(calls) == 2  # aborted once, then run again
    assert [c.points for c in models.Customer.select().where(models.Customer.id.in_([1, 2])).order_by(
        models.Customer.id)] == [11, 11]


# The customer search ----------------------------------------------------------------------------

QUERIES = ["a", "ma", "maria", "maria gar", "garcia m", "jose", "nunez", "lo", "car gom le", "612", "612 3",
           "+34 6", "@", "gmail", "b4", "es", "1", "zzz", "de", "s.l.", "ferr", "o'", "x\\y"]


def test_the_search_uses_postgresqls_full_text_index(shop):
    assert customer_search._full_text()
    indexes = [row[0] for row in db.database.execute_sql(
        "SELECT indexdef FROM pg_indexes WHERE indexname = %s", [customer_search.FULL_TEXT_INDEX]).fetchall()]
    assert len(indexes) == 1 and "gin" in indexes[0] and customer_search.FULL_TEXT_COLUMN in indexes[0]
    generator.generate(3000, 0, seed=5)
    db.database.execute_sql("ANALYZE customer")
    with db.write():  # (so few customers are read faster whole: forbid that, as it is not so on many)
        db.database.execute_sql("SET LOCAL enable_seqscan = off")
        plan = "\n".join(row[0] for row in db.database.execute_sql(
            "EXPLAIN " + customer_search._FULL_TEXT_SQL, [customer_search.to_tsquery([["nunez"]]), 30]).fetchall())
    assert customer_search.FULL_TEXT_INDEX in plan
    # the column follows the customer's tokens
    [(vector,)] = db.database.execute_sql("SELECT search_tsv::text FROM customer WHERE id = 1").fetchall()
    assert set(vector.replace("'", "").split()) == set(models.Customer.get_by_id(1).search_key.split())


def ranked(ids: list[int], limit: int = 30) -> tuple:
    """A page of results as the ranking defines it: the scores in order, and who is on it — but
    among customers of equal rank, which ones fill the last places of a full page is not defined."""
    C = models.Customer
    score = dict(C.select(C.id, C.score).where(C.id.in_(ids or [0])).tuples())
    scores = [score[i] for i in ids]
    last = scores[-1] if len(ids) == limit else None
    return scores, sorted(i for i in ids if score[i] != last)


def test_full_text_and_token_index_give_the_same_answers(shop, monkeypatch):
    generator.generate(600, 300, seed=11)
    db.database.execute_sql("ANALYZE customer")
    with_full_text = {query: ranked(customer_search.search_ids(query)) for query in QUERIES}
    monkeypatch.setattr(customer_search, "_full_text", lambda: False)
    with_tokens = {query: ranked(customer_search.search_ids(query)) for query in QUERIES}
    assert with_full_text == with_tokens
    assert sum(len(scores) for scores, _ in with_tokens.values()) > 200  # the queries find people


def test_without_the_full_text_index_the_token_index_answers(shop):
    expected = customer_search.search_ids("maria")
    db.database.execute_sql(f"DROP INDEX {customer_search.FULL_TEXT_INDEX}")
    customer_search._FULL_TEXT.clear()
    assert not customer_search._full_text()
    assert customer_search.search_ids("maria") == expected
    db.ensure_schema()  # made again at the next start
    assert customer_search._full_text()
