"""Accounts: users, API tokens, an owner on every image, rate limits and the daily upload quota.

Every image stored before this revision gets the owner "local" (imgsearch.models.LOCAL_OWNER): the
library served with accounts off, which the first account created adopts, so nothing is lost. The
same bytes may now be stored once per owner. SQLite rebuilds the images table to change its unique
constraints, which drops its full-text triggers: they are made again (the FTS rows are keyed by
image id, which does not change).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

LOCAL_OWNER = "local"  # as imgsearch.models.LOCAL_OWNER, fixed here as this revision wrote it


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table("images") as batch:
        batch.add_column(sa.Column("owner_id", sa.String(32), nullable=False, server_default=LOCAL_OWNER))
        batch.add_column(sa.Column("worker", sa.String(64), nullable=True))
        batch.drop_constraint("uq_images_content_hash", type_="unique")
        batch.create_unique_constraint("uq_images_owner_id_content_hash", ["owner_id", "content_hash"])
    op.create_index("ix_images_owner_id_created_at", "images", ["owner_id", "created_at"])
    if dialect == "sqlite":
        for statement in _revision_0002().SQLITE_FTS:
            if statement.startswith("CREATE TRIGGER"):
                name = statement.split()[2]
                op.execute(f"DROP TRIGGER IF EXISTS {name}")
                op.execute(statement)

    op.create_table(
        "users",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("name", name="uq_users_name"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
        sa.UniqueConstraint("user_id", "name", name="uq_api_tokens_user_id_name"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_api_tokens_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])
    op.create_table(
        "rate_limits",
        sa.Column("subject", sa.String(128), nullable=False),
        sa.Column("tat", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("subject", name="pk_rate_limits"),
    )
    op.create_table(
        "upload_usage",
        sa.Column("owner_id", sa.String(32), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("photos", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("bytes", sa.BigInteger(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("owner_id", "day", name="pk_upload_usage"),
    )


def _revision_0002():
    """Revision 0002's module, for its trigger statements (migration files are not a package)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "_revision_0002", Path(__file__).with_name("0002_search.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def downgrade() -> None:
    op.drop_table("upload_usage")
    op.drop_table("rate_limits")
    op.drop_index("ix_api_tokens_user_id", table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_table("users")
    op.drop_index("ix_images_owner_id_created_at", table_name="images")
    with op.batch_alter_table("images") as batch:
        batch.drop_constraint("uq_images_owner_id_content_hash", type_="unique")
        batch.create_unique_constraint("uq_images_content_hash", ["content_hash"])
        batch.drop_column("worker")
        batch.drop_column("owner_id")
