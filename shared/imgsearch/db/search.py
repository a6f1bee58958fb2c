"""Search queries over the image rows: full-text matches (SQLite FTS5, PostgreSQL tsvector) and filters.

The repository answers which images hold which query terms and how common each term is; the search
service (imgsearch.pipeline.search) turns that into scores. Both dialects stem English words the
same way for this purpose (FTS5's porter tokenizer, PostgreSQL's english configuration).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, exists, extract, func, literal_column, or_, select, table, text, update
from sqlalchemy.sql.elements import ColumnElement

from imgsearch.db.schema import FacetRow, ImageRow
from imgsearch.models import ImageRecord, KeywordHits, SearchFilters, Status

# A term found in more images than this is only checked among the images rarer terms found: its
# weight (IDF) is small, and listing every image that holds it would cost more than it tells (the
# vector search still brings the closest of them). This also bounds a search's keyword candidates.
COMMON_TERM_ROWS = 1000
ID_BATCH = 900  # ids per IN (...) list: under SQLite's old limit of 999 bound parameters

_FTS = table("images_fts", literal_column("image_id"))


class SearchQueries:
    """The part of SqlImageRepository that search uses (mixed in; see SqlImageRepository)."""

    def keyword_search(
        self,
        terms: Sequence[Sequence[str]],
        phrases: Sequence[Sequence[str]] = (),
        filters: SearchFilters | None = None,
        within: Sequence[str] | None = None,
        total: int | None = None,
    ) -> KeywordHits:
        """Images whose text holds the terms and all the phrases.

        A term is a run of tokens (matched adjacently), or a tuple of such runs, any of which will
        do (a word's synonyms). within limits the search to those image ids (after the filters);
        total, when known, is how many images that scope holds (saves counting them again).
        """
        searched = self._scope(filters, within, beside_text_match=True)
        # How common a term is counts over everything searched; which images match, only among
        # those holding every phrase.
        scope = [*searched, *(self._holds(phrase) for phrase in phrases)]
        with self._session() as session:
            if total is None:
                # How many images a word's rarity is measured against. Unfiltered, every image of the
                # owner counts (a count the owner's index answers alone; the few failed or pending
                # ones change no word's weight); filtered, exactly those the filters leave.
                unfiltered = (filters is None or not filters.active) and within is None
                everything = self._mine() if unfiltered else self._scope(filters, within)
                total = int(
                    session.scalar(select(func.count()).select_from(ImageRow).where(*everything)) or 0
                )
            if not terms or not total:
                if phrases and total:  # phrases alone: every image that holds them matches
                    ids = session.scalars(select(ImageRow.id).where(*scope).limit(COMMON_TERM_ROWS))
                    return KeywordHits(total, [], {i: set() for i in ids})
                return KeywordHits(total, [0] * len(terms), {})
            frequencies: list[int] = []
            holders: list[set[str] | None] = []
            # Where the full-text table holds this owner's images and nothing else (one library,
            # searched whole), it counts a word's images by itself, without visiting each of them.
            alone = self._only_library_in_index(session, filters, within, total)
            for term in terms:
                condition = self._holds(term)
                if alone:
                    count_query = select(func.count()).select_from(_FTS).where(self._fts_match(term))
                else:
                    count_query = select(func.count()).select_from(ImageRow).where(*searched, condition)
                count = int(session.scalar(count_query))
                frequencies.append(count)
                if phrases or count <= COMMON_TERM_ROWS:
                    holders.append(set(session.scalars(select(ImageRow.id).where(*scope, condition))))
                else:
                    holders.append(None)
            candidates = set().union(*(h for h in holders if h is not None))
            for index, term in enumerate(terms):
                if holders[index] is not None:
                    continue
                if not candidates:  # only common terms: take the first images of the rarest
                    rarest = min(range(len(terms)), key=frequencies.__getitem__)
                    query = select(ImageRow.id).where(*scope, self._holds(terms[rarest]))
                    candidates = set(session.scalars(query.limit(COMMON_TERM_ROWS)))
                query = select(ImageRow.id).where(*scope, self._holds(term), ImageRow.id.in_(candidates))
                holders[index] = set(session.scalars(query))
        matched: dict[str, set[int]] = {}
        for index, ids in enumerate(holders):
            for image_id in ids or ():
                matched.setdefault(image_id, set()).add(index)
        return KeywordHits(total, frequencies, matched)

    def searchable_among(self, image_ids: Sequence[str]) -> set[str]:
        """Which of these images are searchable (one light query, in batches of ids)."""
        found: set[str] = set()
        with self._session() as session:
            for start in range(0, len(image_ids), ID_BATCH):
                batch = list(image_ids[start : start + ID_BATCH])
                found.update(
                    session.scalars(
                        select(ImageRow.id).where(
                            ImageRow.id.in_(batch), _searchable(True), *self._mine(led_elsewhere=True)
                        )
                    )
                )
        return found

    def moments(self, image_ids: Sequence[str]) -> dict[str, float]:
        """When each image was taken (else added), as a POSIX timestamp, for sorting by date."""
        from datetime import UTC

        out: dict[str, float] = {}
        with self._session() as session:
            for start in range(0, len(image_ids), ID_BATCH):
                batch = list(image_ids[start : start + ID_BATCH])
                query = select(ImageRow.id, ImageRow.taken_at, ImageRow.created_at).where(
                    ImageRow.id.in_(batch), *self._mine(led_elsewhere=True)
                )
                for image_id, taken, created in session.execute(query):
                    moment = taken or created
                    if moment is not None:
                        out[image_id] = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
        return out

    def searchable_ids(self, filters: SearchFilters | None = None) -> list[str]:
        """The ids of every searchable image that passes the filters."""
        with self._session() as session:
            return list(session.scalars(select(ImageRow.id).where(*self._scope(filters, None))))

    def filtered(
        self, filters: SearchFilters, offset: int = 0, limit: int = 50, newest_first: bool = True
    ) -> tuple[list[ImageRecord], int]:
        """Searchable images that pass the filters, by date taken (then added), and how many there are."""
        from imgsearch.db.repository import _records, shown_at

        scope = self._scope(filters, None)
        when = shown_at()
        order = (when.desc(), ImageRow.id.desc()) if newest_first else (when.asc(), ImageRow.id.asc())
        with self._session() as session:
            total = int(session.scalar(select(func.count()).select_from(ImageRow).where(*scope)) or 0)
            rows = list(
                session.scalars(select(ImageRow).where(*scope).order_by(*order).offset(offset).limit(limit))
            )
            return _records(session, rows), total

    def common_labels(self, limit: int = 8) -> list[str]:
        """The labels most searchable photos carry, most first (what a search could ask for)."""
        query = (
            select(FacetRow.value)
            .join(ImageRow, ImageRow.id == FacetRow.image_id)
            .where(FacetRow.kind == "label", _searchable(), *self._mine())
            .group_by(FacetRow.value)
            .order_by(func.count().desc(), FacetRow.value)
            .limit(limit)
        )
        with self._session() as session:
            return list(session.scalars(query))

    # ------------------------------------------------------------------ near-duplicates

    def near_hashes(self, phash: str, max_bits: int) -> dict[str, str]:
        """This owner's images whose perceptual hash is within max_bits of phash: {id: hash}.

        The hashes are compared in the database (PostgreSQL's bit_count, SQLite's hamming_hex from
        db/engine.py), so a photo's ingest reads its few look-alikes, not every hash of the library.
        """
        if self.engine.dialect.name == "sqlite":
            close = func.hamming_hex(ImageRow.phash, phash) <= max_bits
        else:
            close = text(
                "bit_count(('x' || images.phash)::bit(64) # ('x' || :phash)::bit(64)) <= :max_bits"
            ).bindparams(phash=phash, max_bits=max_bits)
        query = select(ImageRow.id, ImageRow.phash).where(ImageRow.phash.is_not(None), close, *self._mine())
        with self._session() as session:
            return dict(session.execute(query).all())

    def hashes_of(self, image_ids: Sequence[str]) -> dict[str, str]:
        """The perceptual hashes of these images of this owner (those that have one)."""
        if not image_ids:
            return {}
        query = select(ImageRow.id, ImageRow.phash).where(
            ImageRow.id.in_(list(image_ids)), ImageRow.phash.is_not(None), *self._mine(led_elsewhere=True)
        )
        with self._session() as session:
            return dict(session.execute(query).all())

    def join_duplicates(self, image_ids: Sequence[str], group: str) -> None:
        """Put these images, and every image in a group any of them is in, into one group."""
        with self._session.begin() as session:
            groups = set(
                session.scalars(
                    select(ImageRow.duplicate_group).where(
                        ImageRow.id.in_(list(image_ids)),
                        ImageRow.duplicate_group.is_not(None),
                        *self._mine(led_elsewhere=True),
                    )
                )
            )
            members = ImageRow.id.in_(list(image_ids))
            if groups:
                members = or_(members, ImageRow.duplicate_group.in_(groups))
            session.execute(update(ImageRow).where(members, *self._mine()).values(duplicate_group=group))

    def duplicate_group(self, group: str) -> list[ImageRecord]:
        """The images in one near-duplicate group, oldest first."""
        from imgsearch.db.repository import _records

        query = (
            select(ImageRow)
            .where(ImageRow.duplicate_group == group, *self._mine())
            .order_by(ImageRow.created_at)
        )
        with self._session() as session:
            return _records(session, list(session.scalars(query)))

    def duplicate_groups(self) -> list[list[ImageRecord]]:
        """Every group of two or more near-duplicates, largest first; each oldest first."""
        from imgsearch.db.repository import _records

        with self._session() as session:
            grouped = (
                select(ImageRow.duplicate_group)
                .where(ImageRow.duplicate_group.is_not(None), *self._mine())
                .group_by(ImageRow.duplicate_group)
                .having(func.count() > 1)
            )
            rows = list(
                session.scalars(
                    select(ImageRow)
                    .where(ImageRow.duplicate_group.in_(grouped), *self._mine())
                    .order_by(ImageRow.duplicate_group, ImageRow.created_at, ImageRow.id)
                )
            )
            records = _records(session, rows)
        groups: dict[str, list[ImageRecord]] = {}
        for record in records:
            groups.setdefault(record.duplicate_group or "", []).append(record)
        return sorted(groups.values(), key=lambda g: (-len(g), g[0].id))

    # ------------------------------------------------------------------ SQL pieces

    def _scope(
        self, filters: SearchFilters | None, within: Sequence[str] | None, beside_text_match: bool = False
    ) -> list[ColumnElement]:
        conditions: list[ColumnElement] = [
            _searchable(beside_text_match),
            *self._mine(led_elsewhere=beside_text_match),
        ]
        if within is not None:
            conditions.append(ImageRow.id.in_(list(within)))
        if filters is not None:
            conditions.extend(_filter_conditions(filters))
        return conditions

    def _only_library_in_index(self, session, filters, within, total: int) -> bool:
        """Whether SQLite's full-text table holds just the images a search covers: one library,
        searched whole, so its counts are the search's (as `total` counts them, waiting and failed
        photos included) and a word's rarity never depends on another person's photos."""
        if self.engine.dialect.name != "sqlite" or within is not None or (filters and filters.active):
            return False
        return int(session.scalar(select(func.count()).select_from(ImageRow)) or 0) == total

    def _fts_match(self, term: Sequence[str] | Sequence[Sequence[str]]) -> ColumnElement:
        runs = [term] if not term or isinstance(term[0], str) else list(term)
        phrases = [" ".join(t for t in run if t) for run in runs]
        return literal_column("images_fts").op("MATCH")(" OR ".join(_fts_phrase(p) for p in phrases))

    def _holds(self, term: Sequence[str] | Sequence[Sequence[str]]) -> ColumnElement:
        """The image's search text holds these tokens, adjacent and in order (stemmed); or, for a
        tuple of token runs, any one of them."""
        runs = [term] if not term or isinstance(term[0], str) else list(term)
        phrases = [" ".join(t for t in run if t) for run in runs]
        if self.engine.dialect.name == "sqlite":
            return ImageRow.id.in_(select(_FTS.c.image_id).where(self._fts_match(term)))
        query = func.phraseto_tsquery("english", phrases[0])
        for phrase in phrases[1:]:
            query = query.op("||")(func.phraseto_tsquery("english", phrase))
        return literal_column("images.search_tsv").op("@@")(query)


def _searchable(beside_text_match: bool = False) -> ColumnElement:
    """Indexed, or being described again with its earlier vectors in place (see ImageRecord.searchable).

    beside_text_match: the condition goes with a full-text match, which should drive the query.
    """
    # Then status || '' keeps the planner off the status index: nearly every image is indexed, so
    # that index selects nothing, yet SQLite without statistics would rather scan it than look up
    # the few images the full-text match found (40 ms against 10 ms at 100,000 photos).
    status = ImageRow.status + "" if beside_text_match else ImageRow.status
    redo = and_(status.in_([Status.PENDING.value, Status.PROCESSING.value]), ImageRow.vector_count > 0)
    return or_(status == Status.INDEXED.value, redo)


def _filter_conditions(filters: SearchFilters) -> list[ColumnElement]:
    out: list[ColumnElement] = []
    dates = filters.dates
    if dates is not None:
        out.append(ImageRow.taken_at.is_not(None))
        if dates.start is not None:
            out.append(ImageRow.taken_at >= dates.start)
        if dates.end is not None:
            out.append(ImageRow.taken_at < dates.end)
        if dates.months:
            out.append(extract("month", ImageRow.taken_at).in_(list(dates.months)))
        if dates.hours is not None:
            start, end = dates.hours
            hour = extract("hour", ImageRow.taken_at)
            out.append(and_(hour >= start, hour < end) if start < end else or_(hour >= start, hour < end))
    if filters.camera:
        out.append(func.lower(ImageRow.camera).contains(filters.camera.lower(), autoescape=True))
    if filters.has_text is not None:
        out.append(ImageRow.has_text.is_(filters.has_text))
    if filters.people_min is not None:
        out.append(ImageRow.people >= filters.people_min)
    if filters.people_max is not None:
        out.append(ImageRow.people <= filters.people_max)
    if filters.orientation == "landscape":
        out.append(ImageRow.width * 100 > ImageRow.height * 105)
    elif filters.orientation == "portrait":
        out.append(ImageRow.height * 100 > ImageRow.width * 105)
    elif filters.orientation == "square":
        out.append(
            and_(ImageRow.width * 100 <= ImageRow.height * 105, ImageRow.height * 100 <= ImageRow.width * 105)
        )
    for kind, value in (("colour", filters.colour), ("label", filters.label)):
        if value:
            out.append(_has_facet(kind, value))
    return out


def _has_facet(kind: str, value: str) -> ColumnElement:
    wanted = value.strip().lower()
    forms = {wanted, wanted[:-1]} if len(wanted) > 3 and wanted.endswith("s") else {wanted}  # dogs -> dog
    return exists().where(FacetRow.image_id == ImageRow.id, FacetRow.kind == kind, FacetRow.value.in_(forms))


def _fts_phrase(words: str) -> str:
    """An FTS5 phrase for words that are letters and digits only (see imgsearch.pipeline.query.tokens)."""
    return '"' + words.replace('"', '""') + '"'
