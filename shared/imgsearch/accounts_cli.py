"""`imgsearch user ...` and `imgsearch token ...`: accounts and API tokens, from the server's shell."""

from __future__ import annotations

import argparse
import getpass
import sys

from imgsearch.config import Settings


def add_commands(sub, owner: argparse.ArgumentParser) -> None:
    """Add the user and token commands to the CLI's subparsers (owner: the --user option)."""
    users = sub.add_parser("user", help="accounts: add, list, remove, passwd").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    p = users.add_parser(
        "add", help="create an account (the first one takes over the photos already in the local library)"
    )
    p.add_argument("name")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.set_defaults(run=cmd_user_add)
    p = users.add_parser("list", help="the accounts, with their photo counts")
    p.set_defaults(run=cmd_user_list)
    p = users.add_parser("remove", help="delete an account and its tokens")
    p.add_argument("name")
    p.add_argument(
        "--delete-photos", action="store_true", help="delete its photos too (needed if it has any)"
    )
    p.set_defaults(run=cmd_user_remove)
    p = users.add_parser("passwd", help="change an account's password (signs out its sessions)")
    p.add_argument("name")
    p.add_argument("--password-stdin", action="store_true")
    p.set_defaults(run=cmd_user_passwd)

    tokens = sub.add_parser("token", help="API tokens: create, list, revoke").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    p = tokens.add_parser(
        "create", parents=[owner], help="make a token (printed once) for scripts and the API"
    )
    p.add_argument("name", help="what the token is for, e.g. 'laptop backup script'")
    p.set_defaults(run=cmd_token_create)
    p = tokens.add_parser(
        "list", parents=[owner], help="an account's tokens (names and dates, never secrets)"
    )
    p.set_defaults(run=cmd_token_list)
    p = tokens.add_parser("revoke", parents=[owner], help="revoke a token by name")
    p.add_argument("name")
    p.set_defaults(run=cmd_token_revoke)


def _root(settings: Settings):
    from imgsearch.library import Library

    return Library(settings)


def cmd_user_add(args: argparse.Namespace, settings: Settings) -> int:
    from imgsearch.models import LOCAL_OWNER

    library = _root(settings)
    password = _read_password(args.password_stdin, confirm=True)
    user = library.accounts.add_user(args.name, password)
    print(f"created account {user.name}")
    if user.id == LOCAL_OWNER:
        photos = library.repository.count()
        print(
            f"{user.name} owns the local library ({photos} photo{'' if photos == 1 else 's'} already in it)"
        )
    return 0


def cmd_user_list(args: argparse.Namespace, settings: Settings) -> int:
    library = _root(settings)
    users = library.accounts.users()
    if not users:
        print("no accounts yet: imgsearch user add NAME")
    for user in users:
        photos = library.for_owner(user.id).repository.count()
        created = user.created_at.strftime("%Y-%m-%d") if user.created_at else ""
        tokens = len(library.accounts.tokens(user))
        print(f"{user.name:<32} {photos:>7} photos  {tokens:>3} tokens  since {created}")
    return 0


def cmd_user_remove(args: argparse.Namespace, settings: Settings) -> int:
    library = _root(settings)
    user = library.accounts.require(args.name)
    mine = library.for_owner(user.id)
    photos = mine.repository.count()
    if photos and not args.delete_photos:
        print(
            f"imgsearch: {user.name} has {photos} photos: --delete-photos deletes them with the account",
            file=sys.stderr,
        )
        return 1
    for batch in list(mine.repository.iter_all()):
        for image in batch:
            mine.ingest.delete(image.id)
    library.accounts.remove_user(user.name)
    print(f"removed account {user.name}" + (f" and its {photos} photos" if photos else ""))
    return 0


def cmd_user_passwd(args: argparse.Namespace, settings: Settings) -> int:
    library = _root(settings)
    library.accounts.require(args.name)
    password = _read_password(args.password_stdin, confirm=True)
    user = library.accounts.set_password(args.name, password)
    print(f"changed the password of {user.name}; its sessions are signed out")
    return 0


def cmd_token_create(args: argparse.Namespace, settings: Settings) -> int:
    library = _root(settings)
    user = _token_owner(library, args, settings)
    token, secret = library.accounts.create_token(user, args.name)
    print(secret)
    print(
        f"token {token.name!r} for {user.name}: send it as 'Authorization: Bearer TOKEN'. It is shown "
        "only now; imgsearch token revoke NAME ends it.",
        file=sys.stderr,
    )
    return 0


def cmd_token_list(args: argparse.Namespace, settings: Settings) -> int:
    library = _root(settings)
    user = _token_owner(library, args, settings)
    tokens = library.accounts.tokens(user)
    if not tokens:
        print(f"{user.name} has no tokens")
    for token in tokens:
        created = token.created_at.strftime("%Y-%m-%d %H:%M") if token.created_at else ""
        used = token.last_used_at.strftime("%Y-%m-%d %H:%M") if token.last_used_at else "never"
        print(f"{token.name:<40} created {created}  last used {used}")
    return 0


def cmd_token_revoke(args: argparse.Namespace, settings: Settings) -> int:
    library = _root(settings)
    user = _token_owner(library, args, settings)
    library.accounts.revoke_token(user, args.name)
    print(f"revoked {user.name}'s token {args.name.strip()!r}")
    return 0


def _token_owner(library, args: argparse.Namespace, settings: Settings):
    """--user's account, else IMGSEARCH_USER's, else the account that owns the local library."""
    from imgsearch.accounts import AccountError
    from imgsearch.models import LOCAL_OWNER

    name = (args.user or settings.user or "").strip()
    if name:
        return library.accounts.require(name)
    user = library.accounts.user_by_id(LOCAL_OWNER)
    if user is None:
        raise AccountError(
            "no account owns the local library yet: imgsearch user add NAME, or name one with --user"
        )
    return user


def _read_password(from_stdin: bool, confirm: bool) -> str:
    """A password from one line of standard input, or typed twice at a terminal (never echoed)."""
    from imgsearch.accounts import AccountError

    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise AccountError(
            "give the password on standard input with --password-stdin, or type it at a terminal"
        )
    password = getpass.getpass("Password: ")
    if confirm and getpass.getpass("Again: ") != password:
        raise AccountError("the two passwords differ")
    return password
