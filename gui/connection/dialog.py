"""Connect to PostgreSQL: a pasted URL or host, port, database, user, password and SSL mode, with a background
connection test."""

from __future__ import annotations

import contextlib
import functools
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.audit.profiles import LEVELS, Level, Profile
from core.engine import connections
from core.engine.connections import PgTarget
from core.errors import WardenError
from gui.connection import profiles
from gui.runtime import workers

if TYPE_CHECKING:  # core.engine.db loads SQLAlchemy, which the window must not wait for
    from core.engine.db import Capabilities


#: What each libpq SSL mode does, for its tooltip (weakest first, as connections.SSL_MODES).
SSL_MODE_TIPS = {
    "disable": "Never encrypt the connection.",
    "allow": "Encrypt only if the server insists.",
    "prefer": "Encrypt if the server can; libpq's default.",
    "require": "Always encrypt; do not check the server's certificate.",
    "verify-ca": "Always encrypt, and check that a trusted authority signed the server's certificate.",
    "verify-full": "Always encrypt, and check the server's certificate and its host name.",
}


#: The protection levels as the dialog offers them (core.audit.profiles.LEVELS), with what each does.
LEVEL_TEXTS: dict[Level, tuple[str, str]] = {
    "read-only": ("Read-only", "The database refuses every write; unlock editing with a reason when needed."),
    "confirm": ("Confirm each save", "Every save shows the SQL it will run and asks first."),
    "editor": ("Editor", "Saves without asking."),
}


def keep(account: str, password: str, profile: Profile | None) -> bool:
    """Keep the password (keyring, else memory) and save the profile if asked; whether the keyring took it.
    Run on a worker: a keyring may wait for the user to unlock it."""
    from core.audit.profiles import save_profile

    in_keyring = profiles.store_password(account, password) if password else True
    if profile is not None:
        save_profile(profile)
    return in_keyring


class ConnectionDialog(QDialog):
    """Asks where a PostgreSQL database is; on accept the password is kept in the keyring (or memory)."""

    def __init__(self, target: PgTarget | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connect to PostgreSQL")
        self.setObjectName("connectionDialog")
        self.setMinimumWidth(440)
        self.host = QLineEdit("localhost")
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(connections.DEFAULT_PORT)
        self.port.setButtonSymbols(QSpinBox.ButtonSymbols.NoButtons)
        self.database = QLineEdit()
        self.database.setPlaceholderText("e.g. warden")
        self.user = QLineEdit("postgres")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("kept in the system keyring")
        # A URL from psql, a hosting dashboard or a colleague fills every field below (see fill_from_url).
        self.url_field = QLineEdit()
        self.url_field.setPlaceholderText("paste postgres://user:password@host/db")
        self.url_field.setToolTip(
            "Paste a PostgreSQL URL to fill the fields below, for example\n"
            "postgres://ann:secret@db.example.com:5432/game?sslmode=require"
        )
        self.url_field.setClearButtonEnabled(True)
        self.url_field.textEdited.connect(self._on_url_field_text_edited)
        self.url_field.editingFinished.connect(self._on_url_field_editing_finished)
        self.host.textEdited.connect(self._on_host_text_edited)  # a URL pasted into Host works too
        self.sslmode = QComboBox()
        for mode, tip in SSL_MODE_TIPS.items():
            # libpq's own default ("prefer") is left out of the URL, so PGSSLMODE still applies.
            default = mode == "prefer"
            self.sslmode.addItem("prefer (default)" if default else mode, "" if default else mode)
            self.sslmode.setItemData(self.sslmode.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self._set_sslmode("")
        for name in ("url_field", "host", "database", "user", "password"):
            getattr(self, name).setObjectName(f"{name.removesuffix('_field')}Field")
        self.sslmode.setObjectName("sslModeField")
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        for label, field in (
            ("UR&L:", self.url_field),
            ("&Host:", self.host),
            ("P&ort:", self.port),
            ("&Database:", self.database),
            ("&User:", self.user),
            ("&Password:", self.password),
            ("&SSL mode:", self.sslmode),
        ):
            form.addRow(label, field)
        self.profile_box = self._profile_box()
        self.keyring_note = QLabel()
        self.keyring_note.setObjectName("keyringNote")
        self.keyring_note.setWordWrap(True)
        self.keyring_note.setText("Checking the system keyring…")
        self.keyring_note.setStyleSheet("color: #52606d;")
        # Keyring calls run in workers: a keyring may be slow, or wait for the user to unlock it.
        workers.run(profiles.keyring_problem, on_done=self._on_keyring_checked, owner=self, key="keyring")
        self.result_label = QLabel()
        self.result_label.setObjectName("testResult")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label.hide()
        self.test_button = QPushButton("&Test Connection")
        self.test_button.setObjectName("testButton")
        self.test_button.clicked.connect(self._on_test_button_clicked)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Connect")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.test_button)
        row.addStretch(1)
        row.addWidget(self.buttons)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.profile_box)
        layout.addWidget(self.keyring_note)
        layout.addWidget(self.result_label)
        layout.addStretch(1)
        layout.addLayout(row)
        if target is not None:
            self.set_target(target)

    def _profile_box(self) -> QGroupBox:
        """Profile: the protection level (read-only by default on PostgreSQL) and, optionally, a name to
        keep the connection under (File → Profiles; `warden --profile NAME`)."""
        box = QGroupBox("Profile")
        box.setObjectName("profileBox")
        self.level = QComboBox()
        self.level.setObjectName("levelField")
        for level in LEVELS:
            text, tip = LEVEL_TEXTS[level]
            self.level.addItem(text, level)
            self.level.setItemData(self.level.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.level.setCurrentIndex(LEVELS.index("read-only"))  # a shared server: read-only until unlocked
        self.save_profile = QCheckBox("Sa&ve as profile:")
        self.save_profile.setObjectName("saveProfileBox")
        self.profile_name = QLineEdit()
        self.profile_name.setObjectName("profileNameField")
        self.profile_name.setPlaceholderText("e.g. prod")
        self.profile_name.setEnabled(False)
        self.save_profile.toggled.connect(self._on_save_profile_toggled)
        self.profile_name.textEdited.connect(lambda _text: self.save_profile.setChecked(True))
        named = QHBoxLayout()
        named.addWidget(self.save_profile)
        named.addWidget(self.profile_name, 1)
        form = QFormLayout(box)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow("Le&vel:", self.level)
        form.addRow(named)
        return box

    def _on_save_profile_toggled(self, on: bool) -> None:
        self.profile_name.setEnabled(on)
        if on:
            self.profile_name.setFocus()

    def set_profile(self, profile: Profile) -> None:
        """Open on a saved profile (its password is asked for): its level and name, its target."""
        self.level.setCurrentIndex(LEVELS.index(profile.level))
        if profile.name:
            self.profile_name.setText(profile.name)
            self.save_profile.setChecked(True)
        self.set_target(connections.parse_pg_url(profile.target))

    def profile(self) -> Profile:
        """The connection as a profile at the chosen level (its name "" unless it is saved), no password."""
        name = self.profile_name.text().strip() if self.save_profile.isChecked() else ""
        target = self.target()
        return Profile(name, target.url(), cast(Level, self.level.currentData()), target.account)

    def set_target(self, target: PgTarget) -> None:
        """Fill the fields from a known target (a recent connection without its password); the password
        field takes the focus, as the one thing left to type."""
        self.host.setText(target.host)
        self.port.setValue(target.port)
        self.database.setText(target.database)
        self.user.setText(target.user)
        self._set_sslmode(target.sslmode)
        self.password.clear()
        self.password.setFocus()  # before the dialog shows too: it becomes the focus when it is shown
        account = target.account
        workers.run(
            profiles.fetch_password,
            account,
            on_done=lambda password: self._on_password_fetched(account, password),
            owner=self,
            key="password",
        )

    def fill_from_url(self, text: str) -> bool:
        """Fill host, port, database, user, password and SSL mode from a PostgreSQL URL; False if it is none.

        A URL without a password leaves the password field as it is.
        """
        try:
            target, password = connections.parse_pasted_url(text)
        except WardenError:
            return False
        self.host.setText(target.host)
        self.port.setValue(target.port)
        self.database.setText(target.database)
        self.user.setText(target.user)
        self._set_sslmode(target.sslmode)
        if password:
            self.password.setText(password)
        return True

    def _set_sslmode(self, mode: str) -> None:
        index = self.sslmode.findData("" if mode == "prefer" else mode)
        self.sslmode.setCurrentIndex(max(index, 0))

    def _on_url_field_text_edited(self, text: str) -> None:
        if connections.is_pg_url(text):
            self.fill_from_url(text)  # as it is typed or pasted; a half-typed URL fills what it has

    def _on_url_field_editing_finished(self) -> None:
        text = self.url_field.text().strip()
        if not text:
            return
        if not connections.is_pg_url(text) or not self.fill_from_url(text):
            message = "✘ Not a PostgreSQL URL: paste one that starts with postgres:// or postgresql://"
            self._show_result(message, ok=False)
            return
        with contextlib.suppress(WardenError):  # fields incomplete (no database): the URL stays as typed
            # The password now lives in its own, masked field; the URL shows the rest.
            url = connections.display_pg_url(self.target().url())  # a socket folder as a path, not %2F…
            self.url_field.setText(url.replace(f"{connections.DRIVER}://", "postgresql://", 1))

    def _on_host_text_edited(self, text: str) -> None:
        if connections.is_pg_url(text) and self.fill_from_url(text):
            self._show_result("Filled in from the pasted URL.", ok=True)

    def _on_keyring_checked(self, problem: str | None) -> None:
        self.keyring_note.setText(problem or "The password is stored in the system keyring, not in settings.")
        if problem:
            self.password.setPlaceholderText("kept in memory for this session")

    def _on_password_fetched(self, account: str, password: str | None) -> None:
        if password and not self.password.text() and self.target().account == account:
            self.password.setText(password)  # unless the user has typed one or changed the target

    def target(self) -> PgTarget:
        """Where the fields point, without the password."""
        return PgTarget(
            self.host.text().strip(),
            self.port.value(),
            self.database.text().strip(),
            self.user.text().strip(),
            str(self.sslmode.currentData() or ""),
        )

    def url(self) -> str:
        """The full URL including the password (hand it to core; never show or store it)."""
        return self.target().url(self.password.text() or None)

    def _show_result(self, text: str, ok: bool) -> None:
        self.result_label.setText(text)
        self.result_label.setProperty("ok", ok)
        self.result_label.setStyleSheet("color: #1e7b34;" if ok else "color: #b3261e;")
        self.result_label.show()
        layout = self.layout()
        assert layout is not None  # set in __init__
        layout.activate()  # grow to fit a longer message rather than squeeze the fields
        if self.height() < self.sizeHint().height():
            self.resize(self.width(), self.sizeHint().height())

    def _on_test_button_clicked(self) -> None:
        try:
            url = self.url()
        except WardenError as exc:
            self._show_result(str(exc), ok=False)
            return
        self.test_button.setEnabled(False)
        self._show_result(f"Connecting to {self.target().account} …", ok=True)
        workers.run(
            connections.test_connection,
            url,
            on_done=self._on_test_done,
            on_error=self._on_test_failed,
            on_aborted=self._on_test_aborted,
            owner=self,
            key="test",
        )

    def _on_test_aborted(self) -> None:
        self.test_button.setEnabled(True)
        self._show_result("✘ The test stopped before it had an answer.", ok=False)

    def _on_test_done(self, caps: Capabilities) -> None:
        self.test_button.setEnabled(True)
        vectors = f"pgvector {caps.library_versions.get('pgvector', '')}".strip()
        if caps.vector_search != "pgvector":
            vectors = f"no pgvector ({caps.vector_reason})"
        self._show_result(f"✔ Connected: PostgreSQL {caps.server_version}, {vectors}.", ok=True)

    def _on_test_failed(self, failure: workers.Failure) -> None:
        self.test_button.setEnabled(True)
        secret = self.password.text()
        message = failure.message.replace(secret, "***") if secret else failure.message
        self._show_result(f"✘ {message.splitlines()[0] if message else 'Connection failed.'}", ok=False)

    def accept(self) -> None:
        """Check the fields, keep the password (keyring or memory), then close."""
        try:
            self.url()
        except WardenError as exc:
            self._show_result(str(exc), ok=False)
            return
        saved = self.profile() if self.save_profile.isChecked() else None
        if saved is not None and not saved.name:
            self._show_result("✘ Type a name for the profile, or untick Save as profile.", ok=False)
            self.profile_name.setFocus()
            return
        if not self.password.text() and saved is None:
            super().accept()
            return
        self.buttons.setEnabled(False)
        workers.run(
            keep,
            self.target().account,
            self.password.text(),
            saved,
            on_done=self._on_password_stored,
            on_error=self._on_password_not_stored,
            on_aborted=functools.partial(self.buttons.setEnabled, True),  # the crash handler says why
            owner=self,
            key="store",
        )

    def _on_password_stored(self, _in_keyring: bool) -> None:
        self.buttons.setEnabled(True)
        super().accept()

    def _on_password_not_stored(self, failure: workers.Failure) -> None:
        self.buttons.setEnabled(True)
        self._show_result(f"✘ The password or the profile could not be kept: {failure.message}", ok=False)
