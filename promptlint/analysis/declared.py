"""The class a receiver is declared as, when its value does not show it.

`self.llm.aask(...)` after `llm: Optional[BaseLLM] = None` in the class body, `llm_client:
LLMClient` as a parameter, `self.brain: LLMBase = factory()` in `__init__`, a property or a
function annotated `-> BaseLLM`: the annotation names the class whose method the call reaches
(wholeprogram.Resolver.declared); so does `self.llm = llm` when the parameter `llm` is annotated.
Only what the module itself declares is read: the receiver's
function and its enclosing functions, the class of `self` and its bases defined in the same
module. An annotation that names no single class (`Union[A, B]`, `Any`, a container) gives
nothing.
"""

from __future__ import annotations

import libcst as cst

from promptlint.analysis.index import FunctionInfo, ModuleIndex, dotted

# Wrappers of a type that leave the type itself: Optional[X], Annotated[X, ...], Final[X], ClassVar[X].
_SAME_TYPE = ("Optional", "Annotated", "Final", "ClassVar")
_PROPERTY = ("property", "cached_property")
MAX_BASES = 10  # classes of the module followed up from the class of `self`


def receiver_annotation(index: ModuleIndex, recv, func: FunctionInfo | None) -> cst.BaseExpression | None:
    """The annotation that declares `recv` (a name, `self.attr`, or a call of a function or
    method of this module), unwrapped to the one class it names, or None."""
    if isinstance(recv, cst.Name):
        ann = _name_annotation(index, recv.value, func)
    elif isinstance(recv, cst.Attribute) and isinstance(recv.value, cst.Name) and recv.value.value in ("self", "cls"):
        ann = _member_annotation(index, class_of(func), recv.attr.value, call=False)
    elif isinstance(recv, cst.Call):
        ann = _returned(index, recv.func, func)
    else:
        ann = None
    return single_class(ann) if ann is not None else None


def single_class(ann) -> cst.BaseExpression | None:
    """`X` out of `X`, `"X"`, `Optional[X]`, `X | None`, `Union[X, None]`, `Annotated[X, ...]`;
    None when the annotation names no single class."""
    if isinstance(ann, cst.SimpleString):  # a forward reference
        try:
            ann = cst.parse_expression(ann.evaluated_value)
        except Exception:  # noqa: BLE001 - not an expression: no class
            return None
    if isinstance(ann, cst.BinaryOperation) and isinstance(ann.operator, cst.BitOr):
        options = [o for o in (single_class(ann.left), single_class(ann.right)) if not _is_none(o)]
        return options[0] if len(options) == 1 else None
    if isinstance(ann, cst.Subscript):
        head = dotted(ann.value).split(".")[-1]
        inner = [s.slice.value for s in ann.slice if isinstance(s.slice, cst.Index)]
        if head in _SAME_TYPE and inner:
            return single_class(inner[0])
        if head == "Union":
            options = [o for o in (single_class(i) for i in inner) if not _is_none(o)]
            return options[0] if len(options) == 1 else None
        return None
    if isinstance(ann, (cst.Name, cst.Attribute)) and not _is_none(ann):
        return ann
    return None


def _is_none(node) -> bool:
    return node is None or (isinstance(node, cst.Name) and node.value == "None")


def _name_annotation(index: ModuleIndex, name: str, func: FunctionInfo | None, aliases: bool = True):
    """A parameter's annotation, or an annotated local (`llm: BaseLLM = ...`), in `func` or a
    function enclosing it, else at module level; with `aliases`, the declared class of what an
    unannotated local is assigned (_alias_annotation)."""
    while func is not None:
        param = func.params.get(name)
        if param is not None:
            return _annotation(param)
        ann = index.annotations.get((id(func.node), name))
        if ann is not None:
            return ann
        values = [e.node for e in func.events if e.name == name and e.kind == "assign"]
        if values:  # a local of this function
            return _alias_annotation(index, values, func) if aliases else None
        func = func.parent
    return index.annotations.get((0, name))


def _alias_annotation(index: ModuleIndex, values: list, func: FunctionInfo):
    """`service = self.completion_service` (declared `CompletionService`), or in another branch
    `service = self.extra_services[name]`: the class the declared values name, when they name one
    and the others are look-ups in a container (a registry of the same kind, which the module
    does not declare). Any other value, or two classes, give nothing."""
    found: dict[str, cst.BaseExpression] = {}  # the declared class as written -> its annotation
    for value in values:
        if isinstance(value, cst.Subscript) or (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)
                                                and value.func.attr.value == "get"):
            continue
        if isinstance(value, cst.Name):
            ann = _name_annotation(index, value.value, func, aliases=False)
            ann = single_class(ann) if ann is not None else None
        elif isinstance(value, (cst.Attribute, cst.Call)):
            ann = receiver_annotation(index, value, func)
        else:
            return None
        if ann is None:
            return None
        found.setdefault(dotted(ann), ann)
    return next(iter(found.values())) if len(found) == 1 else None


def _annotation(param: cst.Param):
    return param.annotation.annotation if param.annotation is not None else None


def class_of(func: FunctionInfo | None) -> str | None:
    """The class whose code `func` is (a method, or a function nested in one), or None."""
    while func is not None and func.parent is not None:
        func = func.parent
    return func.class_name if func is not None else None


def _member_annotation(index: ModuleIndex, cls: str | None, attr: str, call: bool):
    """`attr` of class `cls` (or a base defined in this module): a field's declared type, a
    property's return annotation; with `call`, a method's return annotation."""
    seen: list[str] = []
    todo = [cls] if cls else []
    while todo and len(seen) < MAX_BASES:
        info = index.classes.get(todo.pop(0))
        if info is None or info.name in seen:
            continue
        seen.append(info.name)
        declared = None if call else info.declared_type(attr)
        if declared is not None:
            return declared
        if not call and attr in info.self_attrs:
            return _assigned_declared(info, attr)
        method = info.methods.get(attr)
        if method is not None:
            property_ = any(dotted(d.decorator).split(".")[-1] in _PROPERTY for d in method.decorators)
            if property_ != call and method.node.returns is not None:
                return method.node.returns.annotation
            return None
        todo += [dotted(b).split(".")[-1] for b in info.bases]
    return None


def _assigned_declared(info, attr: str):
    """`self.llm = llm` where `llm` is an annotated parameter of the method (or `self.llm =
    self._fallback`, an annotated field): the class they declare, when every assignment of the
    attribute declares the same one."""
    found = None
    for value, method in info.self_attrs[attr]:
        ann = None
        if isinstance(value, cst.Name) and value.value in method.params:
            ann = _annotation(method.params[value.value])
        elif isinstance(value, cst.Attribute) and isinstance(value.value, cst.Name) and value.value.value == "self":
            ann = info.declared_type(value.attr.value)
        ann = single_class(ann) if ann is not None else None
        if ann is None or (found is not None and dotted(found) != dotted(ann)):
            return None
        found = ann
    return found


def _returned(index: ModuleIndex, fn, func: FunctionInfo | None):
    """The return annotation of the function or method a call of this module names."""
    if isinstance(fn, cst.Name):
        local = index.functions.get(fn.value)
        if local is not None and local.node.returns is not None:
            return local.node.returns.annotation
        return None
    if isinstance(fn, cst.Attribute) and isinstance(fn.value, cst.Name) and fn.value.value in ("self", "cls"):
        return _member_annotation(index, class_of(func), fn.attr.value, call=True)
    return None
