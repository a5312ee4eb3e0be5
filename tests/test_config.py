"""Settings: documented, validated at start-up, and never leaking secrets."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from digestbot.app.platforms import platform_variables
from digestbot.bot.config import ConfigError, Settings, load_settings


def documented_variables(project_root: Path) -> set[str]:
    text = (project_root / ".env.example").read_text()
    return set(re.findall(r"^([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))


def test_every_setting_is_documented_in_env_example(project_root: Path) -> None:
    variables = {name.upper() for name in Settings.model_fields} | set(platform_variables())
    assert variables <= documented_variables(project_root)


def test_a_copied_env_example_means_all_defaults(project_root: Path, tmp_path: Path) -> None:
    shutil.copy(project_root / ".env.example", tmp_path / ".env")
    settings = load_settings()
    assert not settings.llm_configured
    assert settings.digest_source == "arxiv" and settings.digest_language == "en"


@pytest.mark.parametrize(
    ("variable", "value", "hint"),
    [
        ("DIGEST_TIME", "25:00", "HH:MM"),
        ("DIGEST_TIMEZONE", "Mars/Olympus", "IANA"),
        ("PORT", "99999", "PORT"),
        ("LOG_FORMAT", "xml", "json"),
    ],
)
def test_invalid_values_name_the_variable_and_the_fix(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, hint: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert variable in str(error.value) and hint in str(error.value)


def test_secrets_do_not_show_in_reprs_or_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-not-a-real-key-but-secret")
    monkeypatch.setenv("PORT", "0")
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert "sk-not-a-real" not in str(error.value)
    monkeypatch.setenv("PORT", "3000")
    assert "sk-not-a-real" not in repr(load_settings())


def test_every_language_of_the_phrase_catalog_has_every_english_phrase() -> None:
    from digestbot.summarizer.phrases import CATALOG

    for section, languages in CATALOG.items():
        for language, phrases in languages.items():
            assert set(phrases) == set(languages["en"]), (section, language)
