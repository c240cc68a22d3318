"""The table editor's commands that go through a dialog: delete with a preview, paste with a preview,
export with progress, and the conflict dialog after a save that found rows changed underneath.

`DialogCommands` is composed in TableEditor (gui/editor/view.py) and works on the editor's public parts; the
previews' database work runs in workers, the dialogs only show what came back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QApplication

from core.errors import Conflict
from gui.editor.dialogs.conflict_dialog import ConflictDialog
from gui.editor.dialogs.delete_dialog import DeletePreviewDialog
from gui.editor.dialogs.export import ExportJob, ExportRequest, export_view
from gui.editor.dialogs.paste_dialog import PastePreviewDialog
from gui.editor.dialogs.row_names import preview_with_labels, row_labels
from gui.runtime import workers

#: How long "Saved." stays when it also says which rows merged with someone else's changes.
MERGED_NOTE_MS = 15_000

if TYPE_CHECKING:
    from core.engine.db import Database
    from core.schema.catalog import Catalog, Entity
    from gui.editor.model.table_model import TableEditorModel
    from gui.editor.view import TableEditor


class DialogCommands:
    """Delete, paste, export and conflict resolution for one TableEditor (the dialogs' parent)."""

    def __init__(self, editor: TableEditor) -> None:
        self.editor = editor
        self.export_job: ExportJob | None = None
        self.delete_dialog: DeletePreviewDialog | None = None
        self.paste_dialog: PastePreviewDialog | None = None
        self.conflict_dialog: ConflictDialog | None = None

    # The editor's own, read when used: a reloaded catalog replaces them (gui/editor/catalog_follow.py).
    @property
    def db(self) -> Database:
        """The editor's database."""
        return self.editor.db

    @property
    def catalog(self) -> Catalog:
        """The editor's catalog."""
        return self.editor.catalog

    @property
    def entity(self) -> Entity:
        """The editor's entity."""
        return self.editor.entity

    @property
    def model(self) -> TableEditorModel:
        """The editor's model."""
        return self.editor.model

    def delete_selected(self) -> None:
        """Preview what deleting the selected rows would do; stage the delete if the user agrees (Del)."""
        rows = self.editor.selected_rows()
        if self.entity.read_only or not rows:
            return
        keys = [k for k in (self.model.row_key(r) for r in rows) if k is not None]
        if not keys:
            self.model.delete_rows(rows)  # only unsaved inserts: nothing in the database to preview
            return
        workers.run(
            preview_with_labels,  # the preview, and the labels its title names the rows by
            self.db,
            self.catalog,
            self.entity.name,
            keys,
            on_done=lambda result: self._on_delete_preview_done(rows, *result),
            on_error=self._on_worker_failed,
            owner=self.editor,
            key="delete_preview",
        )

    def _on_delete_preview_done(self, rows: list[int], preview: Any, labels: list[str]) -> None:
        dialog = DeletePreviewDialog(preview, self.editor, labels=labels)
        self.delete_dialog = dialog
        dialog.accepted.connect(lambda: self.model.delete_rows(rows))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def paste(self) -> None:
        """Preview pasting the clipboard's TSV at the current cell; stage it if the user agrees (Ctrl+V)."""
        index = self.editor.view.currentIndex()
        text = QApplication.clipboard().text()
        if self.entity.read_only or not index.isValid() or not text:
            return
        preview = self.model.paste_preview(index, text)
        dialog = PastePreviewDialog(preview, self.editor, entity=self.entity.name)
        self.paste_dialog = dialog
        dialog.accepted.connect(lambda: self.model.apply_paste(preview))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def export(self) -> None:
        """Export this view (filters and sort applied) to a CSV or JSON file."""
        ed = self.editor
        total = ed.count[0] if ed.count else None
        request = ExportRequest(self.entity.name, ed.sort, list(ed.filters), ed.quick or None, total)
        job = export_view(self.db, self.catalog, request, self.editor)
        if job is not None:
            self.export_job = job
            job.finished.connect(self._on_export_finished)
            job.failed.connect(self._on_export_failed)

    def show_saved(self) -> None:
        """'Saved.' as a short note; with the rows merged on the way, a longer one that names them."""
        notes = self.model.saver.merged
        if notes:
            self.editor.show_message(" ".join(["Saved.", *notes]), error=False, timeout_ms=MERGED_NOTE_MS)
        else:
            self.editor.show_message("Saved.", error=False, timeout_ms=2500)

    def show_conflicts(self, conflicts: list[Conflict]) -> None:
        """Look up the conflicting rows' labels on a worker, then ask what to keep (after a save)."""
        self.editor.show_message(
            "Someone else changed rows you edited; nothing was saved. Choose what to keep."
        )
        merged = list(self.model.saver.merged)  # rows merged without asking: the dialog says so
        # Without labels (the lookup failed) rows are named by key: the choice is still the user's.
        workers.run(
            conflict_labels,
            self.db,
            self.catalog,
            conflicts,
            on_done=lambda labels: self._open_conflict_dialog(conflicts, labels, merged),
            on_error=lambda _failure: self._open_conflict_dialog(conflicts, {}, merged),
            on_aborted=lambda: self._open_conflict_dialog(conflicts, {}, merged),
            owner=self.editor,
            key="conflict_labels",
        )

    def _open_conflict_dialog(
        self, conflicts: list[Conflict], labels: dict[int, str], merged: list[str]
    ) -> None:
        infos = {e.name: {c.name: c for c in e.columns} for e in self.catalog.entities.values()}
        dialog = ConflictDialog(conflicts, infos, self.editor, labels=labels, merged=merged)
        self.conflict_dialog = dialog
        dialog.accepted.connect(lambda: self._resolve(dialog))
        dialog.rejected.connect(self._on_conflict_dialog_rejected)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _resolve(self, dialog: ConflictDialog) -> None:
        for key, resolution in dialog.resolutions():
            self.model.resolve_conflict(key, resolution)
        self.editor.clear_message()
        self.model.save()

    def _on_conflict_dialog_rejected(self) -> None:
        self.editor.show_message("Not saved: rows changed in the database. Your edits are still staged.")

    def _on_export_finished(self, result: Any) -> None:
        if result.cancelled:
            self.editor.show_message("Export cancelled; no file was left behind.", error=False)
        else:
            self.editor.show_message(f"Exported {result.rows:,} rows to {result.path}.", error=False)

    def _on_export_failed(self, message: str) -> None:
        self.editor.show_message(f"Export failed: {message}")

    def _on_worker_failed(self, failure: workers.Failure) -> None:
        self.editor.show_message(failure.message)


def conflict_labels(db: Database, catalog: Catalog, conflicts: list[Conflict]) -> dict[int, str]:
    """Worker side: {conflict index: label of its row}; a row deleted meanwhile keeps the label I gave it."""
    by_entity: dict[str, list[int]] = {}
    for i, conflict in enumerate(conflicts):
        by_entity.setdefault(conflict.entity, []).append(i)
    out: dict[int, str] = {}
    for entity, indexes in by_entity.items():
        label_column = catalog.get(entity).label
        found = row_labels(db, catalog, entity, [conflicts[i].key for i in indexes])
        for i, label in zip(indexes, found, strict=True):
            attempted = conflicts[i].attempted or {}
            mine = attempted.get(label_column) if label_column else None
            text = label or (str(mine) if mine not in (None, "") else None)
            if text:
                out[i] = text
    return out
