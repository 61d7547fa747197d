"""Schema versions, on SQLite and PostgreSQL: migrations build what the models say; a database behind is caught."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlmodel import SQLModel

from bot.domain import Paper
from bot.find.finder import Finder
from storage.migrations import (
    alembic_config,
    current_revision,
    ensure_schema,
    head_revision,
    include_name,
    newest_revision,
)
from storage.search import abstract_candidates
from storage.uow import UnitOfWork


@pytest.fixture
def empty(database_url: str) -> Engine:
    from storage.engine import make_engine

    engine = make_engine(database_url)
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as conn:
        for table in ("alembic_version", "paper_fts", "paper_fts_abstract"):
            conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
    return engine


def upgrade_to(engine: Engine, revision: str) -> None:
    with engine.connect() as conn:
        command.upgrade(alembic_config(conn), revision)
        conn.commit()


def test_the_migrations_build_exactly_what_the_models_describe(empty: Engine) -> None:
    upgrade_to(empty, "head")
    with empty.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_name})
        assert compare_metadata(context, SQLModel.metadata) == []
        assert current_revision(conn) == head_revision()


def test_a_migrated_database_searches_like_a_created_one(empty: Engine) -> None:
    upgrade_to(empty, "head")
    with UnitOfWork(empty) as uow:
        uow.papers.merge([Paper("Go-Explore: hard exploration", "Sparse rewards.", arxiv_id="1901.10995")])
        uow.commit()
        assert abstract_candidates(uow.session, [["sparse"]], 5) != []
    assert [f.paper.arxiv_id for f in Finder(empty).find("go explore")] == ["1901.10995"]


def test_a_database_at_the_first_revision_is_upgraded_with_its_papers(empty: Engine) -> None:
    upgrade_to(empty, "0001")
    with UnitOfWork(empty) as uow:
        uow.papers.merge(
            [
                Paper("Go-Explore: hard exploration", "Sparse rewards.", arxiv_id="1901.10995"),
                Paper("Graph Networks", "Message passing.", arxiv_id="2001.00001"),
            ]
        )
        uow.commit()
    ensure_schema(empty)
    with empty.connect() as conn:
        names = inspect(conn).get_table_names() + [c["name"] for c in inspect(conn).get_columns("paper")]
        assert current_revision(conn) == head_revision() and not {"paper_fts", "search_title"} & set(names)
    with UnitOfWork(empty) as uow:  # the triggers left behind no longer name the dropped index
        uow.papers.merge(
            [Paper("Go-Explore: remember and return", "Dense rewards.", arxiv_id="1901.10995", source="arxiv")]
        )
        uow.session.execute(text("DELETE FROM paper WHERE arxiv_id = '2001.00001'"))
        uow.commit()
        assert (
            abstract_candidates(uow.session, [["dense"]], 5) != []
            and abstract_candidates(uow.session, [["message"]], 5) == []
        )
    assert [f.paper.title for f in Finder(empty).find("remember and return")] == ["Go-Explore: remember and return"]


def test_the_second_revision_downgrades_and_upgrades_again(empty: Engine) -> None:
    upgrade_to(empty, "head")
    with empty.connect() as conn:
        command.downgrade(alembic_config(conn), "0001")
        conn.commit()
        assert current_revision(conn) == "0001"
    upgrade_to(empty, "head")
    with UnitOfWork(empty) as uow:
        uow.papers.merge([Paper("Go-Explore: hard exploration", "Sparse rewards.", arxiv_id="1901.10995")])
        uow.commit()
        assert abstract_candidates(uow.session, [["sparse"]], 5) != []


def test_a_fresh_database_is_created_at_the_newest_revision(empty: Engine) -> None:
    ensure_schema(empty)
    with empty.connect() as conn:
        assert inspect(conn).has_table("paper")
        assert current_revision(conn) == head_revision()


def test_a_database_made_before_migrations_is_stamped_not_rebuilt(empty: Engine) -> None:
    ensure_schema(empty)
    with UnitOfWork(empty) as uow:
        uow.papers.merge([Paper("Go-Explore: hard exploration", "Sparse rewards.", arxiv_id="1901.10995")])
        uow.commit()
    with empty.begin() as conn:
        conn.execute(text("DELETE FROM alembic_version"))
    ensure_schema(empty)  # taken for the first revision (what create_all made then), then upgraded
    with empty.connect() as conn:
        assert current_revision(conn) == head_revision()
    with UnitOfWork(empty) as uow:
        assert uow.papers.count() == 1


def test_the_newest_migration_by_its_file_name_is_alembics_head() -> None:
    """Start-up compares the database's stamp with the newest file's number instead of importing Alembic."""
    assert newest_revision() == head_revision()
