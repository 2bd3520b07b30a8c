"""Typed settings -> argparse: every dataclass field becomes a ``--flag`` whose help is its
docstring; a field holding a settings dataclass (``PlanSettings.sampling``) adds that class's
flags, by their own names, in a --help group of its own."""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import typing


def field_docs(cls) -> dict[str, str]:
    """Docstrings written under dataclass fields (the string literal after each annotation)."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        try:
            tree = ast.parse(inspect.getsource(klass))
        except (OSError, TypeError):
            continue
        body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
        for node, nxt in zip(body, body[1:]):
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                if (
                    isinstance(nxt, ast.Expr)
                    and isinstance(nxt.value, ast.Constant)
                    and isinstance(nxt.value.value, str)
                ):
                    docs[node.target.id] = " ".join(nxt.value.value.split())
    return docs


def add_dataclass_args(
    parser: argparse.ArgumentParser,
    cls,
    prefix: str = "",
    skip: tuple[str, ...] = (),
    suppress: bool = False,
    only: tuple[str, ...] | None = None,
    title: str | None = None,
) -> None:
    """Add one ``--name`` option per field of dataclass ``cls`` (defaults and docs shown in
    --help), in a --help group named ``title`` (default: the class's name and first docstring
    line). ``suppress``: options left out of the command line stay out of the namespace (to tell
    what a user gave from what defaulted). ``only`` / ``skip``: the fields (or nested groups) to
    add / leave out."""
    docs = field_docs(cls)
    hints = typing.get_type_hints(cls)
    doc = cls.__doc__ or ""  # a dataclass without a docstring gets its signature: not shown
    summary = "" if doc.startswith(cls.__name__ + "(") else doc.strip().split("\n")[0].rstrip(".")
    group = parser.add_argument_group(title or f"{cls.__name__}: {summary}".rstrip(": "))
    for f in dataclasses.fields(cls):
        if f.name in skip or not f.init or (only is not None and f.name not in only):
            continue
        typ = hints[f.name]
        if dataclasses.is_dataclass(typ):  # a nested settings group: its own flags and group
            add_dataclass_args(parser, typ, prefix, skip, suppress)
            continue
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
        # argparse formats help with %
        help_text = f"{docs.get(f.name, '')} (default: {default!r})".replace("%", "%%")
        default = argparse.SUPPRESS if suppress else default
        _add_option(group, typ, prefix + f.name, default, help_text, f.metadata.get("choices"))


def _add_option(group, typ, dest: str, default, help_text: str, choices) -> None:
    """One ``--dest`` option of type ``typ``: a switch, a choice, a list or a value."""
    flag = "--" + dest.replace("_", "-")
    origin, args = typing.get_origin(typ), typing.get_args(typ)
    if origin is typing.Union or type(typ).__name__ == "UnionType":  # Optional[X]: X
        typ = next(a for a in args if a is not type(None))
        origin, args = typing.get_origin(typ), typing.get_args(typ)
    kw = dict(dest=dest, default=default, help=help_text)
    if typ is bool:
        group.add_argument(flag, action=argparse.BooleanOptionalAction, **kw)
    elif origin is typing.Literal or choices:
        group.add_argument(flag, choices=list(choices or args), **kw)
    elif origin in (tuple, list):
        group.add_argument(flag, type=args[0], nargs="+", **kw)
    else:
        group.add_argument(flag, type=typ, **kw)


def dataclass_from_args(cls, ns: argparse.Namespace, prefix: str = "", **overrides):
    """Build ``cls`` from the parsed options added by ``add_dataclass_args``."""
    kwargs, given = {}, vars(ns)
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.init and dataclasses.is_dataclass(hints[f.name]):
            kwargs[f.name] = dataclass_from_args(hints[f.name], ns, prefix)
        elif f.init and prefix + f.name in given:
            value = given[prefix + f.name]
            kwargs[f.name] = tuple(value) if isinstance(value, list) else value
    kwargs.update(overrides)
    return cls(**kwargs)
