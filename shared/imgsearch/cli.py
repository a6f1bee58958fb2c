"""The imgsearch command line: ingest, search, list, show, delete, retry, redescribe, reindex, redrive,
reconcile, serve; accounts (user) and API tokens (token). Library commands work on one account's photos
(--user)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from imgsearch.config import ConfigError, Settings, load_settings
from imgsearch.models import LOCAL_OWNER

log = logging.getLogger("imgsearch")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"imgsearch: configuration error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=getattr(logging, settings.log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    from imgsearch.logs import configure as configure_logging

    configure_logging(settings.log_level)
    if args.command != "serve" and settings.log_level.upper() != "DEBUG":
        # Commands report each failure themselves, in one tidy line; the log would say it twice.
        logging.getLogger("imgsearch.pipeline").setLevel(logging.ERROR)
    from imgsearch.errors import ImgsearchError

    try:
        return args.run(args, settings)
    except ImgsearchError as exc:
        print(f"imgsearch: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`imgsearch list --json | head`): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="imgsearch", description=__doc__)
    owner = argparse.ArgumentParser(add_help=False)
    owner.add_argument(
        "--user",
        "-u",
        metavar="NAME",
        help="the account whose photos to work on (default: IMGSEARCH_USER, else the local library, "
        "which the first account owns)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, **kwargs) -> argparse.ArgumentParser:
        """A command that works on one library (it takes --user)."""
        return sub.add_parser(name, parents=[owner], **kwargs)

    p = command("ingest", help="add photos (files or folders, recursively) and index them")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(run=cmd_ingest)

    p = command(
        "search",
        help="find photos by free text and/or filters",
        description='Quoted "phrases" must appear as written; date words ("2023", "May 2021", '
        '"last summer", "at night") become a date filter.',
    )
    p.add_argument("query", nargs="?", default="")
    p.add_argument("--limit", "-n", type=int, default=10, help="results per page")
    p.add_argument("--page", type=int, default=1)
    p.add_argument("--all", action="store_true", help="also the results below the relevance cut-off")
    p.add_argument("--sort", choices=["relevance", "date"], default="relevance")
    p.add_argument(
        "--from", dest="from_", metavar="DATE", help="taken on or after: 2023, 2023-05, 2023-05-14"
    )
    p.add_argument("--to", metavar="DATE", help="taken on or before (inclusive)")
    p.add_argument("--camera", help="part of the camera's name")
    p.add_argument("--text", choices=["yes", "no"], help="with (or without) visible text")
    p.add_argument("--people", help="how many people: 0, 2, 3+ or 2-4")
    p.add_argument("--orientation", choices=["landscape", "portrait", "square"])
    p.add_argument("--colour", "--color", dest="colour", help="a main colour: red, blue, green, ...")
    p.add_argument("--label", help="something the describer saw: dog, beach, car, ...")
    p.add_argument("--json", action="store_true", help="print a JSON array of results, best first")
    p.set_defaults(run=cmd_search)

    p = command("similar", help="photos that look like this one")
    p.add_argument("id")
    p.add_argument("--limit", "-n", type=int, default=10)
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_similar)

    p = command("duplicates", help="groups of near-duplicate photos (resized, recompressed, cropped)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_duplicates)

    p = command("list", help="list photos, newest first")
    p.add_argument("--status", choices=["pending", "processing", "indexed", "failed"])
    p.add_argument("--limit", "-n", type=int, default=50)
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_list)

    p = command("show", help="show one photo's description and metadata")
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_show)

    p = command("delete", help="delete photos by id")
    p.add_argument("ids", nargs="+", metavar="ID")
    p.set_defaults(run=cmd_delete)

    p = command("retry", help="process failed or stuck photos again (all of them, or the ids given)")
    p.add_argument("ids", nargs="*", metavar="ID")
    p.set_defaults(run=cmd_retry)

    p = command(
        "redescribe",
        help="describe photos again with the current describer (after enabling OCR, an upgrade, or "
        "switching to a vision model), then re-embed them",
    )
    p.add_argument("ids", nargs="*", metavar="ID")
    p.add_argument(
        "--all",
        action="store_true",
        help="every photo not described by the current describer yet (run it again to resume)",
    )
    p.add_argument("--force", action="store_true", help="with --all: every photo, even those up to date")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(run=cmd_redescribe)

    p = command(
        "reindex", help="rebuild every vector from the stored descriptions (every account's, unless --user)"
    )
    p.add_argument("--quiet", "-q", action="store_true")
    p.set_defaults(run=cmd_reindex)

    p = sub.add_parser(
        "redrive",
        help="replay the uploads the ingest function gave up on (its dead-letter queue, on AWS)",
        description="Uploads are announced to the ingest function again; removals are applied here. "
        "A message leaves the queue once replayed; one that cannot be replayed stays, with the reason.",
    )
    p.add_argument(
        "--queue",
        help="the queue's URL (default IMGSEARCH_INGEST_DLQ_URL; "
        "`terraform -chdir=terraform output -raw ingest_dlq_url`)",
    )
    p.add_argument("--dry-run", action="store_true", help="list what would be replayed, change nothing")
    p.set_defaults(run=cmd_redrive)

    p = command(
        "reconcile",
        help="find originals with no row, rows with no original, indexed photos missing vectors and "
        "vectors of no photo; --fix repairs them",
    )
    p.add_argument("--fix", action="store_true", help="repair what does not square (report only without it)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_reconcile)

    p = command(
        "cost",
        help="what describing photos has cost so far, from the tokens recorded on each photo",
        description="List prices (imgsearch/costs.py, with their sources and date) times the tokens "
        "each photo's description used. --estimate prints what 1,000 photos cost with each model.",
    )
    p.add_argument("--estimate", action="store_true", help="the cost of 1,000 typical photos per model")
    p.add_argument("--index", choices=["s3vectors", "pinecone"], default="s3vectors", help="with --estimate")
    p.set_defaults(run=cmd_cost)

    p = sub.add_parser("serve", help="serve the web UI and the JSON API")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.set_defaults(run=cmd_serve)

    from imgsearch import accounts_cli

    accounts_cli.add_commands(sub, owner)
    return parser


def _library(settings: Settings, args: argparse.Namespace | None = None):
    """The library the command works on: --user's (or IMGSEARCH_USER's), else the local library."""
    from imgsearch.library import Library

    library = Library(settings)
    name = (getattr(args, "user", None) or settings.user or "").strip()
    if not name:
        return library
    return library.for_owner(library.accounts.require(name).id)


# ---------------------------------------------------------------------- commands


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from imgsearch.errors import InvalidImage
    from imgsearch.models import Status

    library = _library(settings, args)
    files, missing = _collect(args.paths)
    counts = {"indexed": 0, "skipped": 0, "failed": 0}
    problems: list[str] = [f"{path}: no such file or folder" for path in missing]
    counts["failed"] += len(missing)
    bar = _progress(len(files), "ingest", disabled=args.quiet)
    for path in files:
        bar.set_postfix_str(path.name[-30:], refresh=False)
        try:
            added = library.ingest.add(path.read_bytes(), path.name)
        except InvalidImage as exc:
            problems.append(f"{path}: {exc}")
            counts["failed"] += 1
            bar.update(1)
            continue
        except OSError as exc:
            problems.append(f"{path}: cannot read ({exc.strerror or exc})")
            counts["failed"] += 1
            bar.update(1)
            continue
        image = added.image
        if not added.created and image.status == Status.INDEXED:
            counts["skipped"] += 1
        else:
            image = library.ingest.process(image.id)
            if image.status in (Status.PENDING, Status.PROCESSING):
                image = _wait_for(library, image.id, settings.processing_lease_s)  # another process has it
            if image.status == Status.INDEXED:
                counts["indexed"] += 1
            else:
                problems.append(f"{path}: {image.error or image.status.value} (id {image.id})")
                counts["failed"] += 1
        bar.update(1)
    bar.close()
    for problem in problems:
        print(f"failed: {problem}", file=sys.stderr)
    print(
        f"{counts['indexed']} indexed, {counts['skipped']} skipped (already in the library), "
        f"{counts['failed']} failed"
    )
    return 1 if counts["failed"] else 0


def _wait_for(library, image_id: str, timeout_s: float):
    """Poll an image another process is working on until it is indexed or failed (or time runs out)."""
    import time

    from imgsearch.models import Status

    deadline = time.monotonic() + timeout_s
    image = library.repository.get(image_id)
    while image is not None and image.status not in (Status.INDEXED, Status.FAILED):
        if time.monotonic() > deadline:
            return library.ingest.process(image_id)  # stuck by now: take it over
        time.sleep(0.5)
        image = library.repository.get(image_id)
    return image


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from imgsearch.pipeline.query import FilterError, parse_filters
    from imgsearch.pipeline.search import MAX_LIMIT, SearchRequest

    options = {
        "from": args.from_,
        "to": args.to,
        "camera": args.camera,
        "text": args.text,
        "people": args.people,
        "orientation": args.orientation,
        "colour": args.colour,
        "label": args.label,
    }
    try:
        filters = parse_filters(options)
    except FilterError as exc:
        print(f"imgsearch: {exc}", file=sys.stderr)
        return 2
    if not args.query.strip() and not filters.active:
        print(
            "imgsearch: say what the photo shows, or give a filter (--from, --people, ...)", file=sys.stderr
        )
        return 2
    request = SearchRequest(
        query=args.query,
        filters=filters,
        sort=args.sort,
        page=max(1, args.page),
        per_page=max(1, min(args.limit, MAX_LIMIT)),
        everything=args.all,
    )
    found = _library(settings, args).search.find(request)
    if args.json:
        print(json.dumps([r.to_dict() for r in found.results], ensure_ascii=False, indent=2))
        return 0
    if found.parsed.dates is not None:
        print(f"date filter from the query: {found.parsed.dates.label} ({found.parsed.date_words!r})")
    if not found.results:
        print(
            "no photos match"
            + (f" ({found.hidden} weaker matches: --all shows them)" if found.hidden else "")
        )
        return 0
    first = (found.page - 1) * found.per_page
    for rank, result in enumerate(found.results, first + 1):
        score = f"{result.score:.3f}" if result.score is not None else "  -  "
        print(f"{rank:>2}. {score}  {result.image.filename}  [{result.image.id}]")
        print(f"      {_one_line(result.snippet, 100)}")
    more = f"; {found.hidden} weaker matches hidden (--all)" if found.hidden else ""
    print(
        f"{found.total} photo{'' if found.total == 1 else 's'} match{'' if found.total != 1 else 'es'}, "
        f"page {found.page} of {found.pages}{more}"
    )
    return 0


def cmd_similar(args: argparse.Namespace, settings: Settings) -> int:
    library = _library(settings, args)
    results = library.search.similar(args.id, limit=max(1, args.limit))
    if args.json:
        print(json.dumps([r.to_dict() for r in results], ensure_ascii=False, indent=2))
        return 0
    if not results:
        print("no similar photos")
    for rank, result in enumerate(results, 1):
        print(f"{rank:>2}. {result.score:.3f}  {result.image.filename}  [{result.image.id}]")
    return 0


def cmd_duplicates(args: argparse.Namespace, settings: Settings) -> int:
    groups = _library(settings, args).search.duplicate_groups()
    if args.json:
        print(json.dumps([[i.to_dict() for i in g] for g in groups], ensure_ascii=False, indent=2))
        return 0
    if not groups:
        print("no near-duplicates")
    for n, group in enumerate(groups, 1):
        print(f"group {n}: {len(group)} photos")
        for image in group:
            size = f"{image.width}×{image.height}"
            print(f"    {image.id}  {size:>11}  {image.size_bytes:>11,} bytes  {image.filename}")
    return 0


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    from imgsearch.models import Status

    repo = _library(settings, args).repository
    status = Status(args.status) if args.status else None
    images = repo.list(offset=max(args.offset, 0), limit=max(args.limit, 1), status=status)
    if args.json:
        print(json.dumps([i.to_dict() for i in images], ensure_ascii=False, indent=2))
        return 0
    total = repo.count(status)
    for image in images:
        created = image.created_at.strftime("%Y-%m-%d %H:%M") if image.created_at else ""
        extra = f"  {_one_line(image.error or '', 60)}" if image.error else ""
        print(f"{image.id}  {image.status.value:<10}  {created}  {image.filename}{extra}")
    print(f"{len(images)} of {total} shown")
    return 0


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    from imgsearch.errors import NotFound

    image = _library(settings, args).repository.get(args.id)
    if image is None:
        raise NotFound(f"no image with id {args.id}")
    if args.json:
        print(json.dumps(image.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(f"{image.filename}  [{image.id}]  {image.status.value}")
    if image.error:
        print(f"error: {image.error}")
    print(image.description or "(not described yet)")
    return 0


def cmd_delete(args: argparse.Namespace, settings: Settings) -> int:
    from imgsearch.errors import NotFound

    library = _library(settings, args)
    failed = 0
    for image_id in args.ids:
        try:
            image = library.ingest.delete(image_id)
            print(f"deleted {image.id} ({image.filename})")
        except NotFound:
            print(f"imgsearch: no image with id {image_id}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


def cmd_retry(args: argparse.Namespace, settings: Settings) -> int:
    from imgsearch.models import Status

    library = _library(settings, args)
    ids = args.ids or library.repository.ids_with_status([Status.FAILED, Status.PENDING, Status.PROCESSING])
    failed = 0
    for image_id in ids:
        if args.ids:  # named by the user: say why one cannot be retried, as the API does (404, 409)
            current = library.repository.get(image_id)
            if current is None:
                print(f"imgsearch: no image with id {image_id}", file=sys.stderr)
                failed += 1
                continue
            if current.status == Status.INDEXED:
                print(
                    f"imgsearch: {image_id} ({current.filename}) is indexed, so there is nothing to retry; "
                    f"`imgsearch redescribe {image_id}` describes it again",
                    file=sys.stderr,
                )
                failed += 1
                continue
        image = library.ingest.retry(image_id)
        print(f"{image.id}  {image.status.value}  {image.filename}  {image.error or ''}".rstrip())
        failed += image.status != Status.INDEXED
    if not ids:
        print("nothing to retry: no photo is failed, pending or stuck")
    return 1 if failed else 0


def cmd_redescribe(args: argparse.Namespace, settings: Settings) -> int:
    from imgsearch.errors import NotFound
    from imgsearch.models import Status

    if bool(args.ids) == args.all:
        print("imgsearch: name the photos to describe again, or give --all", file=sys.stderr)
        return 2
    if args.force and not args.all:
        print("imgsearch: --force goes with --all", file=sys.stderr)
        return 2
    library = _library(settings, args)
    ingest = library.ingest
    ids = args.ids or [r.id for r in ingest.outdated(force=args.force)]
    counts = {"described": 0, "failed": 0}
    problems: list[str] = []
    bar = _progress(len(ids), "describe", disabled=args.quiet)
    for image_id in ids:
        try:
            image = ingest.redescribe(image_id)
        except NotFound:
            problems.append(f"{image_id}: no image with that id")
            counts["failed"] += 1
            bar.update(1)
            continue
        bar.set_postfix_str(image.filename[-30:], refresh=False)
        if image.status == Status.INDEXED and not image.error:
            counts["described"] += 1
        else:
            problems.append(f"{image.filename} ({image.id}): {image.error or image.status.value}")
            counts["failed"] += 1
        bar.update(1)
    bar.close()
    for problem in problems:
        print(f"failed: {problem}", file=sys.stderr)
    if args.all and not ids:
        print(f"every photo is already described by {ingest.describer.name} (--force redoes them)")
        return 0
    print(f"{counts['described']} described again by {ingest.describer.name}, {counts['failed']} failed")
    return 1 if counts["failed"] else 0


def _every_library(settings: Settings, args: argparse.Namespace) -> list:
    """--user's library, or without it the local library and every account's."""
    library = _library(settings, args)
    if library.owner != LOCAL_OWNER or args.user or settings.user:
        return [library]
    owners = [LOCAL_OWNER, *(u.id for u in library.accounts.users() if u.id != LOCAL_OWNER)]
    return [library.for_owner(owner) for owner in owners]


def cmd_reindex(args: argparse.Namespace, settings: Settings) -> int:
    libraries = _every_library(settings, args)
    library = libraries[0]
    total = sum(lib.repository.count() for lib in libraries)
    bar = _progress(total, "reindex", disabled=args.quiet)
    done = sum(lib.ingest.reindex(progress=bar.update) for lib in libraries)
    bar.close()
    print(f"{done} images reindexed with {library.embedder.name}")
    return 0


def cmd_redrive(args: argparse.Namespace, settings: Settings) -> int:
    queue = args.queue or settings.ingest_dlq_url
    if settings.storage != "s3":
        print(
            "nothing to redrive: the local back ends have no dead-letter queue. A photo that failed is "
            "kept as a failed row (`imgsearch retry`), and `imgsearch reconcile` finds files with no row."
        )
        return 0
    if not queue:
        print(
            "imgsearch: name the ingest function's dead-letter queue with --queue or "
            "IMGSEARCH_INGEST_DLQ_URL (terraform -chdir=terraform output -raw ingest_dlq_url)",
            file=sys.stderr,
        )
        return 2
    from imgsearch.deadletters import SqsDeadLetters

    library = _library(settings)
    letters = SqsDeadLetters(library.aws.sqs, queue)

    def owner_of(key: str):
        owner = library.owner_of_key(key)
        return None if owner is None else library.for_owner(owner).ingest

    report = library.ingest.redrive(letters, settings.s3_bucket, owner_of, dry_run=args.dry_run)
    for item in report.replayed:
        why = f"  (it had failed: {_one_line(item.error, 80)})" if item.error else ""
        print(f"{item.action:<8} {item.key}: {item.outcome}{why}")
    for message_id, reason in report.kept:
        print(f"kept in the queue: message {message_id}: {reason}", file=sys.stderr)
    if args.dry_run:
        print(f"{len(report.replayed)} events would be replayed (dry run: nothing changed)")
        return 0
    print(f"{report.removed} messages replayed and removed, {len(report.kept)} kept")
    return 1 if report.kept else 0


def cmd_reconcile(args: argparse.Namespace, settings: Settings) -> int:
    libraries = _every_library(settings, args)
    root = libraries[0]
    by_owner: dict[str, list[str]] = {}
    strays: list[str] = []
    for key in root.storage.keys(settings.s3_originals_prefix):
        owner = root.owner_of_key(key)
        (strays if owner is None else by_owner.setdefault(owner, [])).append(key)
    report: dict[str, dict] = {}
    unsettled = False
    for library in libraries:
        found = library.ingest.reconcile(fix=args.fix, stored=by_owner.get(library.owner, []))
        unsettled |= not found.clean and not found.fixed
        groups = {
            "originals with no row": found.orphan_originals,
            "rows with no original": [f"{r.id} ({r.filename})" for r in found.missing_originals],
            "indexed photos missing vectors": [f"{r.id} ({r.filename})" for r in found.unindexed],
            "vectors of no photo": found.orphan_vectors,
        }
        user = None if library.owner == LOCAL_OWNER else library.accounts.user_by_id(library.owner)
        report[user.name if user else "local library"] = {**groups, "fixed": found.fixed}
    if args.json:
        print(json.dumps({"libraries": report, "in no account's folder": strays}, indent=2))
        return 1 if unsettled else 0
    repairs = ("ingested (announced again on S3)", "deleted", "re-embedded", "deleted")
    for name, groups in report.items():
        if len(report) > 1:
            print(f"{name}:")
        for (what, items), repair in zip(list(groups.items())[:4], repairs, strict=True):
            print(f"{len(items):>6}  {what}{f': {repair}' if groups['fixed'] and items else ''}")
            for item in items[:20]:
                print(f"          {item}")
            if len(items) > 20:
                print(f"          ... and {len(items) - 20} more")
    if strays:
        print(
            f"{len(strays):>6}  originals in the folder of no account (left alone): {', '.join(strays[:5])}"
        )
    if unsettled:
        print("run `imgsearch reconcile --fix` to repair these")
    elif not any(v for groups in report.values() for k, v in groups.items() if k != "fixed"):
        print("storage, rows and vectors agree")
    return 1 if unsettled else 0


def cmd_cost(args: argparse.Namespace, settings: Settings) -> int:
    from imgsearch import costs

    if args.estimate:
        for model in costs.VISION_MODELS:
            items = costs.estimate_per_thousand(model, args.index)
            print(f"{model.name} ({model.profile_id}), per 1,000 photos:")
            for item, dollars in items:
                print(f"    ${dollars:>7.3f}  {item}")
            print(f"    ${sum(d for _, d in items):>7.3f}  total")
        print(f"(list prices as of {costs.PRICES_AS_OF}; assumptions in imgsearch/costs.py)")
        return 0
    usage = costs.running_cost(
        batch for library in _every_library(settings, args) for batch in library.repository.iter_all()
    )
    if not usage:
        print("no photo was described by a model that reports tokens (the local describer costs nothing)")
        return 0
    print(f"{'photos':>7} {'input tokens':>13} {'output tokens':>14} {'cost':>10} {'per 1,000':>10}  model")
    for entry in usage:
        dollars = "no price" if entry.dollars is None else f"${entry.dollars:,.2f}"
        each = "" if entry.per_thousand is None else f"${entry.per_thousand:,.2f}"
        print(
            f"{entry.photos:>7,} {entry.input_tokens:>13,} {entry.output_tokens:>14,} "
            f"{dollars:>10} {each:>10}  {entry.model}"
        )
    known = [e.dollars for e in usage if e.dollars is not None]
    print(
        f"describing so far: ${sum(known):,.2f} at list prices as of {costs.PRICES_AS_OF} "
        "(imgsearch/costs.py)"
    )
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    try:
        from imgsearch_web.serving import serve
    except ImportError:
        print("imgsearch: the web service is not installed (make install adds it)", file=sys.stderr)
        return 2
    serve(settings, args.host or settings.host, args.port or settings.port)
    return 0


# ---------------------------------------------------------------------- helpers


def _collect(paths: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    files: list[Path] = []
    missing: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(_walk(path))
        elif path.is_file():
            files.append(path)
        else:
            missing.append(path)
    return files, missing


def _walk(folder: Path) -> Iterator[Path]:
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if not name.startswith("."):
                yield Path(root) / name


def _progress(total: int, desc: str, disabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="photo", disable=disabled or None, file=sys.stderr)


def _one_line(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
