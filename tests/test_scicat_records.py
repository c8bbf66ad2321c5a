"""Every record a real SciCat stores is accepted: migrated records, DataCite 4.6/4.7 values, names, thumbnails."""

from __future__ import annotations

import base64
import copy
import logging
from typing import Any

import pytest
from conftest import SHARED, Pusher, v4_document
from lxml import etree
from scicat_real import real

from catalogue_core import datacite47
from catalogue_core.crosswalks import RenderContext, render_all
from catalogue_core.errors import InvalidRecord, NotPublishable
from catalogue_core.names import split_name
from catalogue_core.scicat import from_scicat

KERNEL = {"d": "http://datacite.org/schema/kernel-4"}
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@pytest.fixture(scope="module")
def kernel47() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SHARED / "schemas" / "datacite-kernel-4" / "metadata.xsd")))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Jane Doe", ("Doe, Jane", "Jane", "Doe")),
        ("Jan van der Berg", ("van der Berg, Jan", "Jan", "van der Berg")),
        ("Müller, Anna", ("Müller, Anna", "Anna", "Müller")),
        ("Anna-Lena O'Brien", ("O'Brien, Anna-Lena", "Anna-Lena", "O'Brien")),
        ("Paul Scherrer Institute", ("Paul Scherrer Institute", None, None)),
        ("ESS Data Management", ("ESS Data Management", None, None)),
        ("PSI", ("PSI", None, None)),
        ("Beamline 7", ("Beamline 7", None, None)),
    ],
)
def test_names_split_like_scicats_datacite_xml_and_organisations_stay_whole(
    name: str, expected: tuple[str, str | None, str | None]
) -> None:
    split = split_name(name)
    assert (split["name"], split.get("givenName"), split.get("familyName")) == expected
    assert (split.get("nameType") == "Personal") == (expected[1] is not None)


def _xsd_values(name: str) -> list[str]:
    tree = etree.parse(str(SHARED / "schemas" / "datacite-kernel-4" / "include" / f"datacite-{name}-v4.xsd"))
    return tree.xpath("//xs:enumeration/@value", namespaces={"xs": "http://www.w3.org/2001/XMLSchema"})


@pytest.mark.parametrize(
    ("definition", "xsd"),
    [
        ("resourceTypeGeneral", "resourceType"),
        ("relatedIdentifierType", "relatedIdentifierType"),
        ("relationType", "relationType"),
        ("dateType", "dateType"),
        ("contributorType", "contributorType"),
    ],
)
def test_the_json_schema_lists_exactly_the_kernel_47_vocabulary(definition: str, xsd: str) -> None:
    assert sorted(datacite47.SCHEMA["definitions"][definition]["enum"]) == sorted(_xsd_values(xsd))


def _with_47_values(resource_type: str) -> dict[str, Any]:
    return v4_document(
        "10.5555/kernel47",
        resourceTypeGeneral=resource_type,
        relatedIdentifiers=[
            {
                "relatedIdentifier": "CSTR:31253.11.sciencedb.j00001",
                "relatedIdentifierType": "CSTR",
                "relationType": "HasTranslation",
            },
            {
                "relatedIdentifier": "RRID:SCR_012345",
                "relatedIdentifierType": "RRID",
                "relationType": "IsTranslationOf",
            },
        ],
        dates=[{"date": "2020/2024", "dateType": "Coverage"}],
        contributors=[{"name": "Doe, Jane", "nameType": "Personal", "contributorType": "Translator"}],
        relatedItems=[
            {
                "relationType": "IsPublishedIn",
                "relatedItemType": "Journal",
                "relatedItemIdentifier": {
                    "relatedItemIdentifier": "1600-5767",
                    "relatedItemIdentifierType": "ISSN",
                    "relatedMetadataScheme": "DDI-L",
                    "schemeUri": "https://ddialliance.org/Specification/DDI-Lifecycle/3.1/XMLSchema/instance.xsd",
                    "schemeType": "XSD",
                },
                "titles": [{"title": "Journal of Applied Crystallography"}],
            }
        ],
    )


@pytest.mark.parametrize("resource_type", ["Award", "Project", "Dataset"])
def test_every_46_and_47_value_round_trips_into_xsd_valid_kernel_47_xml(
    resource_type: str, kernel47: etree.XMLSchema
) -> None:
    record = from_scicat(_with_47_values(resource_type))
    root = etree.fromstring(render_all(record, RenderContext())["datacite"])
    assert kernel47.validate(root), kernel47.error_log
    values = set(root.xpath("//@*")) | set(root.xpath("//text()"))
    assert {resource_type, "CSTR", "RRID", "HasTranslation", "IsTranslationOf", "Coverage", "Translator"} <= values
    item_id = root.find(".//d:relatedItemIdentifier", KERNEL)
    assert (item_id.get("relatedMetadataScheme"), item_id.get("schemeType")) == ("DDI-L", "XSD")
    assert item_id.get("schemeURI").startswith("https://ddialliance.org/")
    assert "kernel-4.7" in root.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation")


def test_a_value_outside_kernel_47_is_still_refused() -> None:
    document = v4_document("10.5555/bad", dates=[{"date": "2020", "dateType": "Someday"}])
    with pytest.raises(InvalidRecord) as info:
        from_scicat(document)
    assert [p.field for p in info.value.problems] == ["metadata.dates[0].dateType"]


def test_a_migrated_record_reads_its_v3_fields_from_metadata() -> None:
    record = from_scicat(real("migrated.json")[0])
    meta = record.metadata
    assert {"description": "https://github.com/example/fossil-x-analysis", "descriptionType": "TechnicalInfo"} in meta[
        "descriptions"
    ]
    assert [(c["familyName"], c["contributorType"]) for c in meta["contributors"]] == [("Mustermann", "Researcher")]
    related = {
        (r["relatedIdentifier"], r["relatedIdentifierType"], r["relationType"]) for r in meta["relatedIdentifiers"]
    }
    assert {
        ("10.1000/xyz123", "DOI", "IsSupplementTo"),
        ("10.1107/S1600576725000001", "DOI", "IsSupplementTo"),
    } <= related
    assert record.extras["url"].startswith("https://doi.psi.ch/detail/")
    assert record.extras["downloadLink"].startswith("https://doi2.psi.ch/")
    assert record.extras["thumbnail"]["mediaType"] == "image/png"
    assert [c["givenName"] for c in meta["creators"]] == ["Jane", "John"]


def test_the_migrated_private_record_is_refused_but_only_for_being_private() -> None:
    document = real("migrated.json")[1]
    with pytest.raises(NotPublishable):
        from_scicat(document)
    record = from_scicat({**document, "status": "registered"})
    assert record.metadata["creators"] == [
        {"name": "Müller, Anna", "nameType": "Personal", "givenName": "Anna", "familyName": "Müller"}
    ]


@pytest.mark.parametrize(
    ("data_url", "kept"),
    [
        ("data:image/png;base64," + base64.b64encode(PNG).decode(), "image/png"),
        ("data:image/jpeg;base64," + base64.b64encode(PNG).decode(), "image/png"),  # the bytes decide
        ("data:image/png;base64," + base64.b64encode(b"<svg onload='alert(1)'/>").decode(), None),
        ("data:image/png," + PNG.hex(), None),
        ("data:image/png;base64,@@@", None),
        ("https://example.org/thumb.png", None),
    ],
)
def test_only_real_png_jpeg_gif_or_webp_thumbnails_are_kept(
    data_url: str, kept: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    document = {**real("v3-register-min.json"), "thumbnail": data_url}
    with caplog.at_level(logging.WARNING, logger="catalogue_core.thumbnail"):
        record = from_scicat(document)
    assert (record.extras.get("thumbnail") or {}).get("mediaType") == kept
    assert ("thumbnail dropped" in caplog.text) == (kept is None)


def test_a_16_mb_thumbnail_is_accepted(pusher: Pusher) -> None:
    big = PNG + b"\0" * (12 << 20)
    document = {**real("v3-register-min.json"), "thumbnail": "data:image/png;base64," + base64.b64encode(big).decode()}
    assert pusher.put(document).status_code == 201
    image = pusher.client.get(f"/doi/{document['doi']}/thumbnail")
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data == big


def test_the_thumbnail_is_its_own_resource_and_the_csp_stays_strict(pusher: Pusher) -> None:
    document = real("v3-register-body.json")
    pusher.put(document)
    page = pusher.client.get(f"/doi/{document['doi']}")
    csp = page.headers["Content-Security-Policy"]
    assert "img-src 'self';" in csp and "data:" not in csp
    html = page.get_data(as_text=True)
    assert f'src="https://doi.example.org/doi/{document["doi"]}/thumbnail?v=' in html
    image = pusher.client.get(f"/doi/{document['doi']}/thumbnail")
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data == PNG
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert pusher.client.get(f"/doi/{real('v4-stored-full.json')['doi']}/thumbnail").status_code == 404


def test_outputs_hold_the_data_description_thumbnail_url_and_split_names() -> None:
    context = RenderContext("https://doi.example.org")
    for document in (real("v3-register-body.json"), real("migrated.json")[0]):
        rendered = render_all(from_scicat(copy.deepcopy(document)), context)
        thumb = "https://doi.example.org/doi/10.16907/05a50450-767f-421d-9832-342b57c201af/thumbnail"
        for prefix in ("oai_dc", "oai_datacite", "datacite"):
            text = rendered[prefix]
            assert "https://github.com/example/fossil-x-analysis" in text, prefix
            assert thumb in text and "https://doi.psi.ch/detail/10.16907%252F05a50450" in text, prefix
            assert "Doe, Jane" in text, prefix
        assert "<givenName>Jane</givenName>" in rendered["datacite"]
        assert 'relationTypeInformation="Thumbnail"' in rendered["datacite"]


@pytest.mark.parametrize(
    "spelt",
    [
        "10.5555/Key-AbC",
        " https://doi.org/10.5555/KEY-abc ",
        "doi:10.5555/key-ABC",
        "https://dx.doi.org/10.5555%2FKey-Abc",
    ],
)
def test_a_records_key_is_its_doi_folded_however_the_document_spells_it(spelt: str) -> None:
    from catalogue_core.doi import doi_key

    record = from_scicat({**v4_document("10.5555/key-abc"), "doi": spelt}, "10.5555/KEY-ABC")
    assert record.key == doi_key(record.doi) == doi_key(spelt) == "10.5555/key-abc"
    kelvin = "10.5555/\u212a"  # KELVIN SIGN: not an ASCII letter, kept as it is
    assert from_scicat({**v4_document("10.5555/k"), "doi": kelvin}).key == kelvin


@pytest.mark.parametrize(
    ("in_document", "in_url", "accepted"),
    [
        ("10.5555/Url-1", "10.5555/Url-1", True),
        (" 10.5555/url-1", " 10.5555/url-1", True),
        ("10.5555/url-1", "https://doi.org/10.5555/URL-1", True),
        ("doi:10.5555/URL-1", "10.5555/url-1", True),
        (None, "doi:10.5555/url-1", True),
        ("10.5555/url-1", "10.5555/url-2", False),
        ("10.5555/url-1", "10.5555/url-1x", False),
        ("not a DOI", "not a DOI", False),
        ("10.5555/url-1", "not a DOI", False),
    ],
)
def test_the_urls_doi_must_name_the_documents_doi_however_either_is_spelt(
    in_document: str | None, in_url: str, accepted: bool
) -> None:
    document = v4_document("10.5555/url-1")
    if in_document is None:
        del document["doi"]
    else:
        document["doi"] = in_document
    if accepted:
        assert from_scicat(document, in_url).key == "10.5555/url-1"
        return
    with pytest.raises(InvalidRecord) as refused:
        from_scicat(document, in_url)
    assert [p.field for p in refused.value.problems] == ["doi"]


@pytest.mark.parametrize("plain", [True, False])
def test_from_scicats_record_equals_the_one_its_fields_construct(plain: bool) -> None:
    import dataclasses

    from catalogue_core.record import PublishedRecord

    record = from_scicat(v4_document("10.5555/Made-1"), None, plain)
    names = [f.name for f in dataclasses.fields(PublishedRecord)]
    assert set(names) <= set(vars(record))  # every field set, none left to a class default
    made = PublishedRecord(**{name: getattr(record, name) for name in names})
    assert type(record) is PublishedRecord and record == made and repr(record) == repr(made)
    assert (record.known_plain, record.key, record.content_hash) == (plain, made.key, made.content_hash)
