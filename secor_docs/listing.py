"""What `secor-docs list` shows: built-in keys with a short description."""
from __future__ import annotations

from .catalog import load_catalog
from .library import load_library


def rows(what: str) -> list[tuple[str, str]]:
    lib = load_library()
    if what == "industries":
        return [(k, f"{i.name} (suggested partner {i.suggested_partner}; {len(i.positions)} starter positions)") for k, i in sorted(lib.industries.items())]
    if what == "controls":
        from .controls import all_controls, control_id
        return [(control_id(k, item), f"{level}: {item.text}" + (f" [{_where(item)}]" if not item.general else ""))
                for k, h in sorted(lib.hazards.items()) for level, item in all_controls(h)]
    if what == "hazards":
        return [(k, h.name) for k, h in sorted(lib.hazards.items())]
    if what == "equipment":
        return [(k, e.name) for k, e in sorted(lib.equipment.items())]
    if what == "emergencies":
        return [(k, e.name) for k, e in sorted(lib.emergencies.items())]
    if what == "tasks":
        return [(k, f"{t.name} ({', '.join(t.industries)}; {len(t.steps)} steps)") for k, t in sorted(lib.tasks.items())]
    if what == "training":
        return [(k, c.name) for k, c in sorted(lib.training.items())]
    if what == "partners":
        return [(k, f.get("name", k)) for k, f in sorted(lib.frameworks.items())]
    catalog = load_catalog()
    out = []
    for e in catalog.documents:
        extra = f" (one per {e.for_each.replace('_', ' ')[:-1] if e.for_each != 'critical_tasks' else 'critical task'})" if e.for_each else ""
        cond = f" [when {e.when}]" if e.when else ""
        out.append((e.id, f"{e.key:<28} home element {e.element} {e.kind:<10} {e.title}{extra}{cond}"))
    return out


def _where(item) -> str:
    parts = [f"{name}: {', '.join(values)}" for name, values in
             (("industries", item.industries), ("sites", item.sites), ("equipment", item.equipment), ("tasks", item.tasks),
              ("not industries", item.except_industries), ("not tasks", item.except_tasks),
               ("not with equipment", item.except_equipment)) if values]
    return "; ".join(parts)
