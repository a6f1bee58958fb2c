"""Search: filterable facets, near-duplicate groups, and full-text search over the descriptions.

SQLite gets an FTS5 table kept in step by triggers (with a map from image id to FTS row, since the
images table's own rowid may change on VACUUM); PostgreSQL a generated tsvector column with a GIN
index. Existing images get their facets and search text from the details they already have.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

FTS_TOKENIZER = "porter unicode61 remove_diacritics 2"

SQLITE_FTS = [
    f"CREATE VIRTUAL TABLE images_fts USING fts5(image_id UNINDEXED, body, tokenize = '{FTS_TOKENIZER}')",
    "CREATE TABLE images_fts_rows (image_id VARCHAR(32) PRIMARY KEY, fts_rowid INTEGER NOT NULL)",
    """CREATE TRIGGER images_fts_insert AFTER INSERT ON images BEGIN
        INSERT INTO images_fts (image_id, body) VALUES (new.id, coalesce(new.search_text, ''));
        INSERT INTO images_fts_rows (image_id, fts_rowid) VALUES (new.id, last_insert_rowid());
    END""",
    """CREATE TRIGGER images_fts_update AFTER UPDATE OF search_text ON images BEGIN
        UPDATE images_fts SET body = coalesce(new.search_text, '')
        WHERE rowid = (SELECT fts_rowid FROM images_fts_rows WHERE image_id = old.id);
    END""",
    """CREATE TRIGGER images_fts_delete AFTER DELETE ON images BEGIN
        DELETE FROM images_fts WHERE rowid = (SELECT fts_rowid FROM images_fts_rows WHERE image_id = old.id);
        DELETE FROM images_fts_rows WHERE image_id = old.id;
    END""",
]

POSTGRES_FTS = [
    "ALTER TABLE images ADD COLUMN search_tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('english', coalesce(search_text, ''))) STORED",
    "CREATE INDEX ix_images_search_tsv ON images USING gin (search_tsv)",
]


def upgrade() -> None:
    with op.batch_alter_table("images") as batch:
        batch.add_column(sa.Column("camera", sa.String(128), nullable=True))
        batch.add_column(sa.Column("people", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("has_text", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("phash", sa.String(16), nullable=True))
        batch.add_column(sa.Column("duplicate_group", sa.String(32), nullable=True))
        batch.add_column(sa.Column("search_text", sa.Text(), nullable=True))
    op.create_index("ix_images_taken_at", "images", ["taken_at"])
    op.create_index("ix_images_duplicate_group", "images", ["duplicate_group"])
    op.create_table(
        "image_facets",
        sa.Column("image_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("image_id", "kind", "value", name="pk_image_facets"),
        sa.ForeignKeyConstraint(
            ["image_id"], ["images.id"], name="fk_image_facets_image_id_images", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_image_facets_kind_value", "image_facets", ["kind", "value"])
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_FTS if dialect == "sqlite" else POSTGRES_FTS:
        op.execute(statement)
    if dialect == "sqlite":
        # Rows that existed before the triggers: give each its FTS row.
        op.execute("INSERT INTO images_fts (image_id, body) SELECT id, '' FROM images")
        op.execute("INSERT INTO images_fts_rows (image_id, fts_rowid) SELECT image_id, rowid FROM images_fts")
    _backfill()


def _backfill() -> None:
    """Facets and search text for the images described before this revision."""
    from imgsearch.db.repository import facet_rows, search_text
    from imgsearch.models import ImageRecord
    from imgsearch.pipeline.facets import apply_facets

    bind = op.get_bind()
    images = sa.table(
        "images",
        sa.column("id"),
        sa.column("filename"),
        sa.column("description"),
        sa.column("details", sa.JSON),
        sa.column("camera"),
        sa.column("people"),
        sa.column("has_text"),
        sa.column("search_text"),
    )
    facets = sa.table(
        "image_facets", sa.column("image_id"), sa.column("kind"), sa.column("value"), sa.column("position")
    )
    rows = bind.execute(sa.select(images.c.id, images.c.filename, images.c.description, images.c.details))
    for image_id, filename, description, details in rows.fetchall():
        record = ImageRecord(image_id, "", "", filename, "", 0, 0, 0, description=description)
        record.details = dict(details or {})
        apply_facets(record)
        bind.execute(
            images.update()
            .where(images.c.id == image_id)
            .values(
                camera=record.camera,
                people=record.people,
                has_text=record.has_text,
                search_text=search_text(record),
            )
        )
        values = facet_rows(record)
        if values:
            bind.execute(facets.insert(), values)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("images_fts_insert", "images_fts_update", "images_fts_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS images_fts_rows")
        op.execute("DROP TABLE IF EXISTS images_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_images_search_tsv")
        op.execute("ALTER TABLE images DROP COLUMN IF EXISTS search_tsv")
    op.drop_index("ix_image_facets_kind_value", table_name="image_facets")
    op.drop_table("image_facets")
    op.drop_index("ix_images_duplicate_group", table_name="images")
    op.drop_index("ix_images_taken_at", table_name="images")
    with op.batch_alter_table("images") as batch:
        for column in ("search_text", "duplicate_group", "phash", "has_text", "people", "camera"):
            batch.drop_column(column)
