; Inno Setup script: a per-user install of the PyInstaller folder (dist\Warden), no administrator rights.
; Built by .github/workflows/windows.yml:
;   iscc /DAppVersion=0.1.0 /DSourceDir=C:\...\dist\Warden /DIconFile=C:\...\build\build_windows\warden.ico
;        /DOutputDir=C:\...\dist\installer resources\installer\warden.iss
; User data (settings, logs, backups, the default database) lives in the user's AppData folders, never in
; {app}: the uninstaller removes the program and leaves the data.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\Warden"
#endif
#ifndef IconFile
  #define IconFile "..\..\build\build_windows\warden.ico"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist\installer"
#endif

[Setup]
; the AppId ties upgrades and the uninstaller to this product: never change it
AppId={{4E3681B6-1D26-4693-B7E4-51800BEF3F49}
AppName=Warden
AppVersion={#AppVersion}
AppVerName=Warden {#AppVersion}
AppPublisher=Warden
VersionInfoVersion={#AppVersion}
; per user: no UAC prompt; {autopf} is then %LOCALAPPDATA%\Programs
PrivilegesRequired=lowest
DefaultDirName={autopf}\Warden
DefaultGroupName=Warden
DisableProgramGroupPage=yes
DisableDirPage=auto
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\Warden.exe
UninstallDisplayName=Warden
OutputDir={#OutputDir}
OutputBaseFilename=Warden-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; a running Warden holds its DLLs open: ask to close it before files are replaced
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; an upgrade replaces the whole runtime folder, so no file of an older version is left to be loaded
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\Warden"; Filename: "{app}\Warden.exe"
Name: "{group}\Uninstall Warden"; Filename: "{uninstallexe}"
Name: "{userdesktop}\Warden"; Filename: "{app}\Warden.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\Warden.exe"; Description: "{cm:LaunchProgram,Warden}"; Flags: nowait postinstall skipifsilent
