"""Names that competitive-programming judges provide to every submission.

LeetCode-style problems use `List`, `Optional`, `Counter`, `inf`, `ListNode`, `TreeNode`, ...
without importing or defining them, and LeetCode-style `check(candidate)` tests call
`list_node`, `tree_node`, `is_same_list`, `is_same_tree`. Judges (and LiveCodeBench's harness)
prepend such a block to the submission. Loaders record the block a problem needs in
`Problem.metadata["program_prefix"]`; `with_prefix(problem, program)` builds the program to run.
Our own code below, kept small; `math`'s and `operator`'s star imports are avoided because
their `pow` would shadow the three-argument built-in. `SortedList` & co. come from the
`sortedcontainers` package (a core dependency) when it is importable.
"""

from __future__ import annotations

from recode_rl.data.schema import Problem

__all__ = ["STDIN_PRELUDE", "LEETCODE_PRELUDE", "LEETCODE_TEST_HELPERS", "with_prefix"]

STDIN_PRELUDE = """\
import bisect, collections, datetime, functools, heapq, itertools, math, operator, random, re, string, sys
from typing import *
from collections import Counter, OrderedDict, defaultdict, deque
from functools import cache, cmp_to_key, lru_cache, reduce
from heapq import heapify, heappop, heappush, heappushpop, heapreplace, nlargest, nsmallest
from bisect import bisect, bisect_left, bisect_right, insort, insort_left, insort_right
from itertools import (accumulate, chain, combinations, combinations_with_replacement, count, cycle, groupby,
                       islice, pairwise, permutations, product, repeat, starmap, zip_longest)
from math import (atan2, ceil, comb, cos, e, exp, factorial, floor, gcd, hypot, inf, isqrt, lcm, log, log2, log10,
                  perm, pi, prod, sin, sqrt)
from string import ascii_letters, ascii_lowercase, ascii_uppercase, digits
from operator import add, and_, attrgetter, itemgetter, mul, or_, sub, xor
try:
    from sortedcontainers import SortedDict, SortedList, SortedSet
except ImportError:
    pass
"""

LEETCODE_TEST_HELPERS = """\
class ListNode:
    def __init__(self, val=0, next=None):
        self.val = val
        self.next = next


class TreeNode:
    def __init__(self, val=0, left=None, right=None):
        self.val = val
        self.left = left
        self.right = right


def list_node(values):
    head = None
    for v in reversed(list(values)):
        head = ListNode(v, head)
    return head


def is_same_list(a, b):
    while a is not None and b is not None:
        if a.val != b.val:
            return False
        a, b = a.next, b.next
    return a is None and b is None


def tree_node(values):
    # LeetCode level order: None marks a missing child; trailing Nones may be omitted.
    values = list(values)
    if not values or values[0] is None:
        return None
    root = TreeNode(values[0])
    queue = collections.deque([root])
    i = 1
    while queue and i < len(values):
        node = queue.popleft()
        for side in ("left", "right"):
            if i < len(values) and values[i] is not None:
                child = TreeNode(values[i])
                setattr(node, side, child)
                queue.append(child)
            i += 1
    return root


def is_same_tree(p, q):
    stack = [(p, q)]
    while stack:
        a, b = stack.pop()
        if a is None or b is None:
            if a is not b:
                return False
            continue
        if a.val != b.val:
            return False
        stack.append((a.left, b.left))
        stack.append((a.right, b.right))
    return True
"""

LEETCODE_PRELUDE = STDIN_PRELUDE + "\n\n" + LEETCODE_TEST_HELPERS


def with_prefix(problem: Problem, program: str) -> str:
    """The program to execute for `problem`: its judge prelude (if any) followed by `program`."""
    prefix = problem.metadata.get("program_prefix", "")
    return f"{prefix}\n{program}" if prefix else program
