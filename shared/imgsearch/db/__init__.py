"""The metadata database (SQLite by default, PostgreSQL through pg8000), via SQLAlchemy."""
