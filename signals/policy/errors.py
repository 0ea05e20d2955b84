"""Policy errors that read like a compiler's: what, where (file:line:col), the line, a hint."""

from dataclasses import dataclass


@dataclass(frozen=True)
class PolicyError:
    """One problem in a policy pack."""

    file: str
    line: int  # 1-based
    col: int  # 1-based
    message: str
    rule_id: str | None = None
    hint: str | None = None
    width: int = 1  # characters to underline
    severity: str = "error"  # or "warning": reported, but the pack still loads

    def render(self, source: str | None) -> str:
        """Format the error with the offending line and a caret under the spot."""
        where = f"{self.file}:{self.line}:{self.col}"
        if self.rule_id:
            where += f" (rule {self.rule_id})"
        out = [f"{self.severity}: {self.message}", f"  --> {where}"]
        lines = source.splitlines() if source is not None else []
        if 1 <= self.line <= len(lines):
            gutter = " " * len(str(self.line))
            out += [
                f"{gutter} |",
                f"{self.line} | {lines[self.line - 1]}",
                f"{gutter} | {' ' * (self.col - 1)}{'^' * max(1, self.width)}",
            ]
        if self.hint:
            out.append(f"  = hint: {self.hint}")
        return "\n".join(out)


class PolicyPackInvalid(Exception):
    """A pack that failed validation; carries every error found, not just the first."""

    def __init__(self, errors: list[PolicyError], sources: dict[str, str]) -> None:
        self.errors = errors
        self.sources = sources
        super().__init__(self.render())

    def render(self) -> str:
        """All errors, rendered, then a count."""
        parts = [e.render(self.sources.get(e.file)) for e in self.errors]
        n = len(self.errors)
        parts.append(f"{n} error{'s' if n != 1 else ''} in policy pack")
        return "\n\n".join(parts)
