"""The portal's templates compiled to yield each run of output once, not once per piece.

Jinja 3 compiles `<td>{{ a }}</td><td>{{ b }}</td>` to five `yield`s, and a page's text passes up
through every generator between the block and the page (the block, its template, base.html), then
into the final join: a call log page of 50 rows made about 1,200 such yields (B7). Here one run of
text and values between two statements is yielded as one string, built as Jinja itself builds it
where it writes into a buffer (a macro's body, a `{% set %}` block): the same pieces in the same
order, so the page is the same text; only the chunks `Template.generate` streams are larger.
"""
from __future__ import annotations

import io

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame

from fs_plugins.portal import translated

_BUFFER = "_portal_output_run"  # a name no template uses: only this module's writes produce it


class PortalCodeGenerator(CodeGenerator):
    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        """The template with its constant strings in the environment's language (translated.py), when
        it has one: they are then text like the rest, folded into the runs written below."""
        super().visit_Template(translated.translate_constants(node, self.environment), frame)

    def visit_Output(self, node: nodes.Output, frame: Frame) -> None:
        """Where Jinja would yield each piece: its buffered code for the same pieces (a tuple of the
        same expressions, in order), written as one `yield ''.join((…))`."""
        if frame.buffer is not None or len(node.nodes) < 2:
            super().visit_Output(node, frame)
            return
        written, self.stream = self.stream, io.StringIO()
        frame.buffer = _BUFFER
        try:
            super().visit_Output(node, frame)
        finally:
            frame.buffer = None
            code, self.stream = self.stream.getvalue(), written
        start = code.find(_BUFFER + ".")
        if start < 0:  # nothing written: an output outside any block of a child template
            written.write(code)
            return
        end = code.index("(", start)
        # .extend((a, b,)) -> yield ''.join((a, b,)); .append(a,) (one piece once constants are folded)
        # -> yield str(a,): every piece is a str already (escaped, or str() where nothing escapes)
        call = code[start + len(_BUFFER) + 1:end]
        written.write(code[:start] + ("yield ''.join" if call == "extend" else "yield str") + code[end:])
