from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def write_service(root: Path, folder: str, toml: str, files: dict | None = None) -> Path:
    """A service folder under root/services with a descriptor and sources."""
    service = root / "services" / folder
    service.mkdir(parents=True, exist_ok=True)
    (service / "service.toml").write_text(toml)
    for name, text in (files or {"service.cpp": "int main() { return 0; }\n"}).items():
        path = service / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return service


@pytest.fixture
def project(tmp_path):
    (tmp_path / "services").mkdir()
    return tmp_path
