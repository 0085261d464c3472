#!/usr/bin/env python3
"""Count comment tokens in Nix files: each `#` line comment and each
`/* */` block comment outside strings counts once.

Usage: count_comments.py FILE...   prints "<count> <file>" per file.
"""
import sys


def count_comments(src: str) -> int:
    return len(comment_spans(src))


def strip_comments(src: str) -> str:
    """The source with every comment replaced by spaces (newlines kept)."""
    out = list(src)
    for a, b in comment_spans(src):
        for k in range(a, b):
            if out[k] != "\n":
                out[k] = " "
    return "".join(out)


def comment_spans(src: str) -> list:
    spans = []
    i = 0
    L = len(src)
    # stack of modes: 'code' (with brace depth), 'str', 'istr'
    stack = [["code", 0]]
    while i < L:
        mode = stack[-1]
        c = src[i]
        if mode[0] == "code":
            if c == "#":
                j = src.find("\n", i)
                j = L if j < 0 else j
                spans.append((i, j))
                i = j
                continue
            if src.startswith("/*", i):
                j = src.find("*/", i + 2)
                if j < 0:
                    raise ValueError("unterminated block comment")
                spans.append((i, j + 2))
                i = j + 2
                continue
            if c == '"':
                stack.append(["str", 0])
                i += 1
                continue
            if src.startswith("''", i):
                stack.append(["istr", 0])
                i += 2
                continue
            if c == "{":
                mode[1] += 1
            elif c == "}":
                if mode[1] == 0 and len(stack) > 1:
                    stack.pop()  # end of ${ } interpolation
                    i += 1
                    continue
                mode[1] -= 1
            i += 1
            continue
        if mode[0] == "str":
            if c == "\\":
                i += 2
                continue
            if c == '"':
                stack.pop()
                i += 1
                continue
            if src.startswith("${", i):
                stack.append(["code", 0])
                i += 2
                continue
            i += 1
            continue
        # indented string
        if src.startswith("'''", i):
            i += 3
            continue
        if src.startswith("''$", i):
            i += 3
            continue
        if src.startswith("''\\", i):
            i += 4
            continue
        if src.startswith("''", i):
            stack.pop()
            i += 2
            continue
        if src.startswith("${", i):
            stack.append(["code", 0])
            i += 2
            continue
        i += 1
    if len(stack) != 1:
        raise ValueError("unterminated string or interpolation")
    return spans


if __name__ == "__main__":
    for path in sys.argv[1:]:
        with open(path, encoding="utf-8") as f:
            print(count_comments(f.read()), path)
