from pathlib import Path

import pytest

from digestbot.summarizer.taxonomy import TaxonomyError, load_taxonomy

SEED_CATEGORIES = {
    "inference": "Inference acceleration",
    "cv": "Computer Vision",
    "llm": "LLM",
    "general": "General AI",
    "rl": "Reinforcement Learning",
    "healthcare": "AI in Healthcare",
    "multimodal": "Multimodal",
    "training": "Model training technique",
}


def test_default_taxonomy_is_the_seeds_eight_categories_with_general_as_fallback() -> None:
    taxonomy = load_taxonomy()
    assert {c.slug: c.name for c in taxonomy.categories} == SEED_CATEGORIES
    assert taxonomy.fallback_slug == "general"
    assert all(c.description and c.keywords for c in taxonomy.categories)


@pytest.mark.parametrize(("word", "slug"), [("LLM", "llm"), ("computer vision", "cv"), ("Vision", "cv")])
def test_resolves_slugs_names_and_aliases(word: str, slug: str) -> None:
    category = load_taxonomy().resolve(word)
    assert category is not None and category.slug == slug


@pytest.mark.parametrize(("typo", "slug"), [("lmm", "llm"), ("helthcare", "healthcare"), ("trainig", "training")])
def test_suggests_the_closest_slug(typo: str, slug: str) -> None:
    assert load_taxonomy().suggest(typo)[0] == slug


def test_a_team_can_supply_its_own_taxonomy(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(
        '[[category]]\nslug = "bio"\nname = "Biology"\ndescription = "Life."\nkeywords = ["protein"]\n'
        '[[category]]\nslug = "misc"\nname = "Misc"\ndescription = "The rest."\nfallback = true\n'
    )
    taxonomy = load_taxonomy(path)
    assert taxonomy.slugs == ["bio", "misc"] and taxonomy.fallback_slug == "misc"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not toml = = =", "not valid TOML"),
        ("title = 'no categories'", "at least one"),
        ('[[category]]\nslug = "Bad Slug"\nname = "x"\ndescription = "y"', "category #1 is invalid"),
        (
            '[[category]]\nslug = "a"\nname = "A"\ndescription = "d"\n[[category]]\nslug = "a"\nname = "B"\n'
            'description = "d"',
            "unique",
        ),
    ],
)
def test_broken_taxonomy_files_are_explained(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(content)
    with pytest.raises(TaxonomyError, match=message):
        load_taxonomy(path)


def test_missing_taxonomy_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="DIGEST_TAXONOMY_FILE"):
        load_taxonomy(tmp_path / "nope.toml")
