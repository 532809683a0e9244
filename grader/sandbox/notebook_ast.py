"""What a notebook cell defines at module level, seen from its syntax tree.

Every ``def``/``class`` that runs at module level gets a call to the recorder
after it (so the grader knows the last definition of each name), and
:func:`is_definition` tells the statements that still run when a cell runs for
its definitions only.
"""
from __future__ import annotations

import ast
import sys

RECORDER = "__nngrade_defined__"
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


class RecordDefinitions(ast.NodeTransformer):
    """Insert ``__nngrade_defined__("name")`` after every def/class statement that runs at module level."""

    def _body(self, statements: list[ast.stmt]) -> list[ast.stmt]:
        out = []
        for statement in statements:
            out.append(self.visit(statement))
            if isinstance(statement, DEFINITIONS):
                call = ast.Expr(ast.Call(ast.Name(RECORDER, ast.Load()), [ast.Constant(statement.name)], []))
                out.append(ast.copy_location(call, statement))
        return out

    def visit_Module(self, node):
        node.body = self._body(node.body)
        return node

    def _compound(self, node):
        for name in ("body", "orelse", "finalbody"):
            if isinstance(getattr(node, name, None), list):
                setattr(node, name, self._body(getattr(node, name)))
        for handler in getattr(node, "handlers", []):
            handler.body = self._body(handler.body)
        for case in getattr(node, "cases", []):
            case.body = self._body(case.body)
        return node

    visit_If = visit_For = visit_AsyncFor = visit_While = visit_With = visit_AsyncWith = _compound
    visit_Try = visit_Match = _compound
    if sys.version_info >= (3, 11):
        visit_TryStar = _compound

    def visit_FunctionDef(self, node):  # definitions inside functions and classes are not module level
        return node

    visit_AsyncFunctionDef = visit_ClassDef = visit_FunctionDef


def _is_constant(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _is_constant(node.operand)
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return all(_is_constant(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is not None and _is_constant(k) for k in node.keys) and all(_is_constant(v) for v in node.values)
    return False


def is_definition(statement: ast.stmt) -> bool:
    """Statements that still run in definitions-only mode."""
    if isinstance(statement, (ast.Import, ast.ImportFrom) + DEFINITIONS):
        return True
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        return getattr(statement.value.func, "id", None) == RECORDER
    if isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is not None:
        return _is_constant(statement.value)
    return False
