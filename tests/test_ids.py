import pytest

from digestbot.summarizer.ids import InvalidArxivId, parse_arxiv_ref, split_versioned_id


@pytest.mark.parametrize(
    ("text", "arxiv_id", "version"),
    [
        ("2409.14674", "2409.14674", None),
        ("2409.14674v3", "2409.14674", 3),
        ("arXiv:2409.14674", "2409.14674", None),
        ("https://arxiv.org/abs/2409.14674v2", "2409.14674", 2),
        ("http://export.arxiv.org/abs/2409.14674", "2409.14674", None),
        ("https://arxiv.org/pdf/2409.14674.pdf", "2409.14674", None),
        ("https://arxiv.org/html/2409.14674v1", "2409.14674", 1),
        ("<https://arxiv.org/abs/2409.14674>", "2409.14674", None),
        ("hep-th/9901001", "hep-th/9901001", None),
        ("math.GT/0309136v1", "math.GT/0309136", 1),
        ("1911.12281", "1911.12281", None),
    ],
)
def test_accepts_ids_and_urls(text: str, arxiv_id: str, version: int | None) -> None:
    ref = parse_arxiv_ref(text)
    assert (ref.arxiv_id, ref.version) == (arxiv_id, version)


@pytest.mark.parametrize("text", ["", "2409", "2409.146", "paper about llms", "https://example.com/abs/2409.14674"])
def test_rejects_what_is_not_an_id_with_an_example_of_one(text: str) -> None:
    with pytest.raises(InvalidArxivId, match=r"2409\.14674"):
        parse_arxiv_ref(text)


def test_long_garbage_is_shortened_in_the_message() -> None:
    with pytest.raises(InvalidArxivId) as error:
        parse_arxiv_ref("x" * 500)
    assert len(str(error.value)) < 200


def test_unversioned_id_is_version_one() -> None:
    assert split_versioned_id("2409.14674") == ("2409.14674", 1)
