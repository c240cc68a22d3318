"""The record form: one row's fields bound to the editor's model, and its related rows through foreign keys.

Fields go through a QDataWidgetMapper on the TableEditorModel, so a form edit is staged (and undoable) like
a grid edit. Related rows come from core.repository.related, loaded in a worker whenever the row changes.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QCheckBox,
    QDataWidgetMapper,
    QFormLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QStyleOptionViewItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.catalog import Catalog, ColumnInfo
from core.db import Database
from core.lookup import labels_for
from core.repository import RelatedGroup, related
from gui import workers
from gui.editor.related_tab import RelatedTab, group_title
from gui.editor.roles import Role

MUTED = "color: #5f6368;"

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

    open_entity_requested = Signal(str, list)  # entity name, list[core.repository.Filter]
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
        self.mapper = QDataWidgetMapper(self)
        self.mapper.setSubmitPolicy(QDataWidgetMapper.SubmitPolicy.AutoSubmit)
        self.editors: dict[str, QWidget] = {}
        self._shown: dict[int, QLineEdit] = {}  # read-only fields, filled from the cell's text

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
        for w in (self.title, self.subtitle, self.references):
            layout.addWidget(w)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("formTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.setUsesScrollButtons(True)
        layout.addWidget(self.tabs, 1)
        self.fields_page = QWidget()
        self.fields_layout = QFormLayout(self.fields_page)
        self.fields_layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.fields_page)
        self.tabs.addTab(scroll, "Fields")

    # --- fields ---------------------------------------------------------------------------------

    def set_model(self, model: QAbstractItemModel) -> None:
        """Bind the field editors to the editor's model (one editor per column, chosen like the grid's)."""
        self._model = model
        self.mapper.setModel(model)
        if self._delegate is not None:
            self.mapper.setItemDelegate(self._delegate)
        for col in range(model.columnCount()):
            name = str(model.headerData(col, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole))
            info = self._column(name)
            editor, mapped = self._editor_for(model, col, info)
            label = QLabel(name + ("" if info is None or info.nullable else " *"))
            if info is not None:
                label.setToolTip(f"{info.type}{'' if info.nullable else ', required'}")
            self.fields_layout.addRow(label, editor)
            self.editors[name] = editor
            if mapped:
                self.mapper.addMapping(editor, col)
            else:
                self._shown[col] = editor  # type: ignore[assignment]

    def _column(self, name: str) -> ColumnInfo | None:
        return next((c for c in self.entity.columns if c.name == name), None)

    def _editor_for(
        self, model: QAbstractItemModel, col: int, info: ColumnInfo | None
    ) -> tuple[QWidget, bool]:
        """The field's editor, and whether the mapper binds it (else it only shows the cell's text)."""
        name = f"field_{info.name if info else col}"
        editable = (
            info is not None
            and not self.entity.read_only
            and info.kind not in ("vector", "binary")
            and not info.is_version
            and not (info.primary_key and info.kind == "uuid")
        )
        editor: QWidget | None = None
        if editable and info is not None and info.kind == "boolean":
            editor = QCheckBox(self.fields_page)
        elif editable and self._delegate is not None and model.rowCount() > 0:
            editor = self._delegate.createEditor(
                self.fields_page, QStyleOptionViewItem(), model.index(0, col)
            )
        if editor is not None:
            editor.setObjectName(name)
            return editor, True
        line = QLineEdit(self.fields_page)
        line.setObjectName(name)
        line.setReadOnly(True)
        line.setStyleSheet("QLineEdit { background: palette(window); }")
        return line, False

    def set_row(self, row: int) -> None:
        """Show one row of the bound model: its fields now, its related rows once loaded."""
        if self._model is None or not 0 <= row < self._model.rowCount():
            self.clear()
            return
        self.mapper.setCurrentIndex(row)
        for col, line in self._shown.items():
            text = self._model.index(row, col).data(Qt.ItemDataRole.DisplayRole)
            line.setText("" if text is None else str(text))
            line.setCursorPosition(0)
        index = self._model.index(row, 0)
        key = index.data(Role.ROW_KEY)
        label_col = self._label_column()
        label = self._model.index(row, label_col).data() if label_col is not None else None
        self.load(key, label)

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
        self.subtitle.setText(f"{self.entity.name} · {key_text or 'not saved yet'}")

    def clear(self) -> None:
        """Show no row."""
        self.key = None
        self.title.setText(f"No {self.entity.name} row selected")
        self.subtitle.setText("")
        self._set_groups([])
        self.references.setText("")

    # --- related rows ---------------------------------------------------------------------------

    def load(self, key: dict[str, Any] | None, label: Any = None) -> None:
        """Load the related rows of the row with this key (None: an unsaved row has none yet)."""
        self._show_header(label, key)
        self.key = key
        self._set_groups([])
        if key is None:
            self.references.setText("Save the row to see what it is linked to.")
            return
        self.references.setText("Loading related rows…")
        workers.run(
            load_related,
            self.db,
            self.catalog,
            self.entity.name,
            key,
            on_done=self._on_related_done,
            on_error=self._on_related_failed,
            owner=self,
            interruptible=True,  # moving to another row stops this one's lookups
            key="related",
        )

    def _on_related_done(self, result: tuple[list[RelatedGroup], FkLabels]) -> None:
        groups, labels = result
        self._set_groups(groups, labels)
        self.related_loaded.emit()

    def _on_related_failed(self, failure: workers.Failure) -> None:
        if failure.bug:
            workers.report_bug(failure)
        self.references.setText(f"<span style='color:#b3261e'>Could not load related rows: {failure}</span>")
        self.related_failed.emit(failure.message)

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
        self.references.setText(self._references_text())

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
        if self._model is None or self.mapper.currentIndex() < 0:
            return QModelIndex()
        return self._model.index(self.mapper.currentIndex(), 0)
