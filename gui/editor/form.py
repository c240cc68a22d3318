"""The record form: one row's fields bound to the editor's model, and its related rows through foreign keys.

Each field shows its cell's value as text and opens the grid's editor for that column only while it is edited
(gui/editor/form_field.py); the value goes through the TableEditorModel, so a form edit is staged (and
undoable) like a grid edit. Related rows come from core.data.repository.related, loaded in a worker whenever
the row changes. While a migration runs the form is paused (set_paused, from gui/migrate/watch.py): the value
being typed is staged, nothing is read, and the related rows of the row shown are read when it ends.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QApplication,
    QFormLayout,
    QLabel,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.data.lookup import labels_for
from core.data.repository import RelatedGroup, related
from core.engine.db import Database
from core.schema.catalog import Catalog, ColumnInfo
from core.schema.keys import column_note, rows_note
from gui.editor.delegates.cell_delegate import EditorContext
from gui.editor.form_field import FormField
from gui.editor.model.roles import Role
from gui.editor.related_tab import RelatedTab, group_title
from gui.migrate.pausable import Pause
from gui.runtime import workers

MUTED = "color: #5f6368;"

#: The record form's share of the editor's width, and the least it gets (a key, a time and a label side by
#: side need about this much); the grid keeps at least GRID_MIN.
FORM_SHARE, FORM_MIN, GRID_MIN = 0.5, 480, 300


def form_split(width: int) -> list[int]:
    """Splitter sizes [grid, form] for an editor `width` wide: half each, the form at least FORM_MIN."""
    form = max(int(width * FORM_SHARE), FORM_MIN)
    return [max(width - form, GRID_MIN), form]


#: (entity, column) → {foreign key value: label of the row it points at}
FkLabels = dict[tuple[str, str], dict[Any, str]]


def load_related(
    db: Database, catalog: Catalog, entity: str, key: dict[str, Any]
) -> tuple[list[RelatedGroup], FkLabels]:
    """Worker side: the related groups, and labels for the foreign keys shown in them."""
    groups = related(db, catalog, entity, key)
    labels: FkLabels = {}
    for group in groups:
        ent = catalog.entities[group.entity]
        for fk in ent.foreign_keys:
            if (
                len(fk.columns) != 1
                or fk.target not in catalog.entities
                or (group.entity, fk.columns[0]) in labels
            ):
                continue
            i = group.columns.index(fk.columns[0])
            values = {row[i] for row in group.rows if row[i] is not None}
            if values:
                target_key = fk.target_columns[0]
                labels[(group.entity, fk.columns[0])] = labels_for(
                    db, catalog, fk.target, values, key_column=target_key
                )
    return groups, labels


class RecordForm(QWidget):
    """Side panel for the selected row: Fields, one tab per related group, and 'What references this?'."""

    open_entity_requested = Signal(str, list)  # entity name, list[core.data.repository.Filter]
    graph_requested = Signal(str, dict)  # entity name, the row's key: Show in Graph
    related_loaded = Signal()
    related_failed = Signal(str)

    def __init__(
        self,
        db: Database,
        catalog: Catalog,
        entity: str,
        parent: QWidget | None = None,
        delegate: QAbstractItemDelegate | None = None,
    ) -> None:
        super().__init__(parent)
        self.db, self.catalog = db, catalog
        self.entity = catalog.get(entity)
        self.setObjectName("recordForm")
        self.groups: list[RelatedGroup] = []
        self.key: dict[str, Any] | None = None
        self._model: QAbstractItemModel | None = None
        self._delegate = delegate
        self._row = QPersistentModelIndex()  # column 0 of the row shown
        self.editors: dict[str, FormField] = {}  # column name → its field
        self.pause = Pause()  # a migration runs (set_paused); asked: the row's related rows are read after it
        self._related_task: workers.Task | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.title = QLabel(f"No {self.entity.name} row selected")
        self.title.setObjectName("formTitle")
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-size: 13pt; font-weight: bold;")
        self.subtitle = QLabel("")
        self.subtitle.setStyleSheet(MUTED)
        self.subtitle.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.references = QLabel("")
        self.references.setObjectName("referencesSummary")
        self.references.setWordWrap(True)
        self.references.setTextFormat(Qt.TextFormat.RichText)
        self.references.linkActivated.connect(self._on_references_link_activated)
        self.graph_link = QLabel('<a href="graph">Show in Graph</a>')
        self.graph_link.setObjectName("formShowInGraph")
        self.graph_link.setToolTip("This record and its linked records as a graph")
        self.graph_link.linkActivated.connect(self._on_graph_link_activated)
        self.graph_link.hide()
        for w in (self.title, self.subtitle, self.graph_link, self.references):
            layout.addWidget(w)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("formTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.setUsesScrollButtons(True)
        layout.addWidget(self.tabs, 1)
        self.fields_page = QWidget()
        self.fields_layout = QFormLayout(self.fields_page)
        self.fields_layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.fields_layout.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.fields_layout.setVerticalSpacing(2)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.fields_page)
        self.tabs.addTab(scroll, "Fields")

    # --- fields ---------------------------------------------------------------------------------

    def set_model(self, model: QAbstractItemModel) -> None:
        """Bind the form to the editor's model: one field per column, its value shown as text."""
        self._model = model
        self._add_fields(model)
        model.dataChanged.connect(self._on_model_data_changed)
        model.modelReset.connect(self._on_model_reset)
        if self._delegate is not None:
            self._delegate.commitData.connect(self._on_delegate_commit_data)
            self._delegate.closeEditor.connect(self._on_delegate_close_editor)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._on_app_focus_changed)

    def follow_catalog(self, catalog: Catalog, *, rebuild: bool = True) -> None:
        """Use `catalog` (the schema changed); with `rebuild` (this entity changed), one field per new column.

        Call it once the bound model shows the new columns; after a rebuild the form shows no row until
        set_row.
        """
        self.catalog, self.entity = catalog, catalog.get(self.entity.name)
        context = getattr(self._delegate, "context", None)
        if isinstance(context, EditorContext):  # its FK pickers search the new catalog
            context.catalog = catalog
        if not rebuild:
            return
        self.finish_editing(commit=False)  # the model has taken what was typed already, or let it go
        while self.fields_layout.rowCount():
            self.fields_layout.removeRow(0)  # deletes the label and the field
        self.editors.clear()
        if self._model is not None:
            self._add_fields(self._model)
        self.clear()

    def _add_fields(self, model: QAbstractItemModel) -> None:
        for col in range(model.columnCount()):
            name = str(model.headerData(col, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole))
            info = self._column(name)
            field = FormField(info, col, self._delegate, self.fields_page)
            label = QLabel(name + ("" if info is None or info.nullable or info.row_id else " *"))
            label.setBuddy(field)
            if info is not None:
                note = column_note(self.entity.key_source, info.name, info.primary_key)
                label.setToolTip(note or f"{info.type}{'' if info.nullable else ', required'}")
            self.fields_layout.addRow(label, field)
            self.editors[name] = field

    def _column(self, name: str) -> ColumnInfo | None:
        return next((c for c in self.entity.columns if c.name == name), None)

    def set_row(self, row: int) -> None:
        """Show one row of the bound model: its fields now, its related rows once loaded."""
        if self._model is None or not 0 <= row < self._model.rowCount():
            self.clear()
            return
        self.finish_editing(commit=True)
        self._row = QPersistentModelIndex(self._model.index(row, 0))
        for field in self.editors.values():
            field.set_index(self._model.index(row, field.column))
        self.load(self._model.index(row, 0).data(Role.ROW_KEY), self._label_text())

    def field(self, column: str) -> FormField:
        """The field of `column`."""
        return self.editors[column]

    def editing_field(self) -> FormField | None:
        """The field whose editor is open, if any."""
        return next((f for f in self.editors.values() if f.editing), None)

    def finish_editing(self, *, commit: bool = True) -> None:
        """Close an open field editor, staging its value first when `commit`."""
        field = self.editing_field()
        if field is not None:
            field.finish_editing(commit=commit)

    def _field_of(self, editor: QWidget) -> FormField | None:
        return next((f for f in self.editors.values() if f.editor is editor), None)

    def _on_delegate_commit_data(self, editor: QWidget) -> None:
        field = self._field_of(editor)
        if field is not None:
            field.commit()

    def _on_delegate_close_editor(self, editor: QWidget, hint: QAbstractItemDelegate.EndEditHint) -> None:
        field = self._field_of(editor)
        if field is None:
            return
        field.finish_editing(commit=False)  # commitData came first when the value is to be kept
        if hint == QAbstractItemDelegate.EndEditHint.EditNextItem:
            field.move_focus(True)
        elif hint == QAbstractItemDelegate.EndEditHint.EditPreviousItem:
            field.move_focus(False)

    def _on_app_focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        """A click or Tab away from an open editor keeps its value and shows the field as text again."""
        field = self.editing_field()
        if field is None or new is None or QApplication.activePopupWidget() is not None:
            return
        if not field.owns(new) and new.window() is field.window():
            field.finish_editing(commit=True)

    def _on_model_data_changed(self, top: QModelIndex, bottom: QModelIndex, *_roles: Any) -> None:
        row = self._row.row() if self._row.isValid() else -1
        if top.row() <= row <= bottom.row():
            for field in self.editors.values():
                if not field.editing:
                    field.refresh()
            if self._label_column() is not None:  # a renamed row's title follows
                self._show_header(self._label_text(), self.key)

    def _on_model_reset(self) -> None:
        self.finish_editing(commit=False)  # the row it edited is gone from the model
        self.clear()

    def _label_column(self) -> int | None:
        if self._model is None or not self.entity.label:
            return None
        names = [
            self._model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole)
            for c in range(self._model.columnCount())
        ]
        return names.index(self.entity.label) if self.entity.label in names else None

    def _show_header(self, label: Any, key: dict[str, Any] | None) -> None:
        key_text = ", ".join(f"{k} {v}" for k, v in (key or {}).items())
        self.title.setText(str(label) if label not in (None, "") else (key_text or "New row"))
        note = rows_note(self.entity.key_source, self.entity.primary_key)  # a rowid or a unique key
        subtitle = f"{self.entity.name} · {key_text or 'not saved yet'}"
        self.subtitle.setText(f"{subtitle}\n{note}" if note else subtitle)
        self.graph_link.setVisible(bool(key))

    def _on_graph_link_activated(self, _link: str) -> None:
        if self.key:
            self.graph_requested.emit(self.entity.name, dict(self.key))

    def clear(self) -> None:
        """Show no row."""
        self.key = None
        self.pause.asked = False
        self.finish_editing(commit=True)
        self._row = QPersistentModelIndex()
        for field in self.editors.values():
            field.set_index(QModelIndex())
        self.title.setText(f"No {self.entity.name} row selected")
        self.subtitle.setText("")
        self.graph_link.hide()
        self._set_groups([])
        self.references.setText("")

    # --- related rows ---------------------------------------------------------------------------

    def load(self, key: dict[str, Any] | None, label: Any = None) -> None:
        """Load the related rows of the row with this key (None: an unsaved row has none yet)."""
        self._show_header(label, key)
        self.key = key
        self._set_groups([])
        if not self.entity.foreign_keys and not self.entity.referenced_by:
            self.references.setText(f"{self.entity.name} has no links to other tables.")
            self.related_loaded.emit()
            return
        if not self.entity.primary_key:
            self.references.setText(f"{self.entity.name} has no key, so its links cannot be followed.")
            self.related_loaded.emit()
            return
        if key is None:
            self.references.setText("Save the row to see what it is linked to.")
            return
        if self.paused is not None:
            self.pause.asked = True
            self.references.setText(self.paused)
            return
        self.references.setText("Loading related rows…")
        self._related_task = workers.run(
            load_related,
            self.db,
            self.catalog,
            self.entity.name,
            key,
            on_done=self._on_related_done,
            on_error=self._on_related_failed,
            on_aborted=self._on_related_aborted,
            owner=self,
            interruptible=True,  # moving to another row stops this one's lookups
            key="related",
        )

    @property
    def paused(self) -> str | None:
        """Why nothing is read now (a migration runs: set_paused), else None."""
        return self.pause.reason

    def set_paused(self, reason: str | None) -> None:
        """A migration runs (`reason`, said where the related rows are) or has ended (None): while paused
        nothing is read and the field being typed is staged; the row's related rows are read after."""
        if not self.pause.turn(reason):
            return
        if reason is not None:
            self.finish_editing(commit=True)  # kept as a staged edit, like the grid's
            task = self._related_task
            if task is not None and not task.finished:
                task.cancel()  # read again when the pause ends
                self.pause.asked = True
            if self.pause.asked:
                self.references.setText(reason)
            return
        if self.pause.take_asked():
            self.load(self.key, self._label_text())

    def _label_text(self) -> Any:
        """The label of the row shown (None without a label column)."""
        label_col = self._label_column()
        if label_col is None or self._model is None or not self._row.isValid():
            return None
        return self._model.index(self._row.row(), label_col).data()

    def _on_related_done(self, result: tuple[list[RelatedGroup], FkLabels]) -> None:
        groups, labels = result
        self._set_groups(groups, labels)
        self.references.setText(self._references_text())  # also when nothing links: never "Loading…"
        self.related_loaded.emit()

    def _on_related_failed(self, failure: workers.Failure) -> None:
        self.references.setText(f"<span style='color:#b3261e'>Could not load related rows: {failure}</span>")
        self.related_failed.emit(failure.message)

    def _on_related_aborted(self) -> None:
        self.references.setText("Related rows were not loaded.")  # the crash handler says why; not "Loading…"

    def _set_groups(self, groups: list[RelatedGroup], labels: FkLabels | None = None) -> None:
        while self.tabs.count() > 1:
            page = self.tabs.widget(1)
            assert page is not None  # count() > 1
            self.tabs.removeTab(1)
            page.deleteLater()
        self.groups = groups
        if not groups:
            return
        ordered = [g for g in groups if g.direction == "outgoing"] + sorted(
            (g for g in groups if g.direction == "incoming"), key=lambda g: (-g.count, g.entity)
        )
        for group in ordered:
            target = self.catalog.entities[group.entity]
            fk_labels = {c: v for (e, c), v in (labels or {}).items() if e == group.entity}
            tab = RelatedTab(group, groups, self.tabs, target.primary_key, fk_labels, target.label)
            tab.open_requested.connect(self.open_entity_requested)
            self.tabs.addTab(tab, group_title(group, groups))

    def _references_text(self) -> str:
        incoming = [g for g in self.groups if g.direction == "incoming" and g.count]
        if not incoming:
            return "<b>What references this?</b> Nothing."
        links = [
            f"<a href='{i}'>{group_title(g, self.groups)}</a>"
            for i, g in enumerate(self.groups)
            if g in incoming
        ]
        return "<b>What references this?</b> " + ", ".join(links)

    def _on_references_link_activated(self, link: str) -> None:
        group = self.groups[int(link)]
        for i in range(1, self.tabs.count()):
            tab = self.tabs.widget(i)
            if isinstance(tab, RelatedTab) and tab.group is group:
                self.tabs.setCurrentIndex(i)

    def tab_titles(self) -> list[str]:
        """The titles of the related tabs (after Fields), in order."""
        return [self.tabs.tabText(i) for i in range(1, self.tabs.count())]

    def related_tab(self, title_start: str) -> RelatedTab:
        """The related tab whose title starts with `title_start`."""
        for i in range(1, self.tabs.count()):
            if self.tabs.tabText(i).startswith(title_start):
                return self.tabs.widget(i)  # type: ignore[return-value]
        raise KeyError(title_start)

    def current_index(self) -> QModelIndex:
        """The model index of the row shown (column 0), or an invalid index."""
        if self._model is None or not self._row.isValid():
            return QModelIndex()
        return self._model.index(self._row.row(), 0)
