"""A few demonstration records, loaded by `dmzpub serve --demo` into an empty store."""

from __future__ import annotations

from typing import Any

DEMO_DOCUMENTS: list[dict[str, Any]] = [
    {
        "doi": "10.99999/dmzpub-demo-0001",
        "title": "Demo: X-ray tomography of a limestone core",
        "abstract": "Demonstration record: 1801 projections of a limestone drill core at 1.6 µm voxel size.",
        "creator": ["Keller, Lea", "Rossi, Marco"],
        "affiliation": "Demo Light Source",
        "publisher": "Demo Light Source",
        "publicationYear": 2024,
        "resourceType": "raw",
        "numberOfFiles": 1803,
        "sizeOfArchive": 48318382080,
        "pidArray": ["20.500.99999/demo-tomo-0001"],
        "relatedPublications": ["https://doi.org/10.99999/demo-paper-1"],
        "registeredTime": "2024-03-18T10:00:00.000Z",
        "status": "registered",
    },
    {
        "pid": "20.500.99999/demo-sans-0002",
        "doi": "10.99999/DMZPUB-DEMO-0002",
        "title": "Demo: small-angle neutron scattering of micelles",
        "abstract": "Demonstration record: SANS of surfactant micelles at three temperatures.",
        "datasetPids": ["20.500.99999/demo-sans-0002-a"],
        "numberOfFiles": 36,
        "sizeOfArchive": 524288000,
        "registeredTime": "2025-01-20T09:30:00.000Z",
        "status": "registered",
        "metadata": {
            "creators": [
                {
                    "name": "Andersson, Sofia",
                    "nameType": "Personal",
                    "givenName": "Sofia",
                    "familyName": "Andersson",
                    "nameIdentifiers": [
                        {
                            "nameIdentifier": "https://orcid.org/0000-0002-1825-0097",
                            "nameIdentifierScheme": "ORCID",
                            "schemeUri": "https://orcid.org",
                        }
                    ],
                    "affiliation": [{"name": "Demo Neutron Source"}],
                },
            ],
            "publisher": {"name": "Demo Neutron Source"},
            "publicationYear": 2025,
            "resourceType": "derived",
            "subjects": [{"subject": "SANS"}, {"subject": "micelles"}],
            "rightsList": [
                {
                    "rights": "Creative Commons Attribution 4.0 International",
                    "rightsUri": "https://creativecommons.org/licenses/by/4.0/legalcode",
                    "rightsIdentifier": "cc-by-4.0",
                    "rightsIdentifierScheme": "SPDX",
                }
            ],
        },
    },
    {
        "doi": "10.99999/dmzpub-demo-0003",
        "title": "Demo: powder diffraction of LiFePO₄ at 10 K",
        "abstract": "Demonstration record: neutron powder diffraction patterns, raw and reduced.",
        "creator": ["Müller, Anna"],
        "publisher": "Demo Light Source",
        "publicationYear": 2023,
        "resourceType": "derived",
        "numberOfFiles": 3,
        "sizeOfArchive": 5242880,
        "status": "public",
    },
]

# The demo record whose files `dmzpub serve --demo` stages, so the download section is live.
DEMO_STAGED_KEY = "10.99999/dmzpub-demo-0002"
DEMO_FILES: dict[str, str] = {
    "README.txt": "Demonstration dataset of dmzpub: SANS of surfactant micelles (synthetic numbers).\n",
    "reduced/micelles_25C.dat": "# q(1/A)  I(q)\n"
    + "".join(f"{0.01 * i:.2f}  {100 / (1 + i):.4f}\n" for i in range(1, 51)),
    "reduced/micelles_40C.dat": "# q(1/A)  I(q)\n"
    + "".join(f"{0.01 * i:.2f}  {90 / (1 + i):.4f}\n" for i in range(1, 51)),
}
