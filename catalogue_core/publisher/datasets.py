"""Read what SciCat knows about a DOI's datasets (folder, host, file list, checksums) and report jobs back.

Shapes follow SciCat's NestJS backend (SciCatProject/backend):
- a dataset (`GET /api/v4/datasets/<pid>`, v3 `/api/v3/Datasets/<pid>`) has `sourceFolder`
  (absolute, trailing slash stripped) and optional `sourceFolderHost` ("[protocol://]host"),
  src/datasets/schemas/dataset.schema.ts;
- its origdatablocks (`GET /api/v4/origdatablocks?filter={"where":{"datasetId":pid}}`, v3
  `/api/v3/Datasets/<pid>/origdatablocks`) carry `chkAlg` and `dataFileList[{path, size, time,
  chk}]` with `path` relative to the source folder, src/origdatablocks/schemas/origdatablock.schema.ts
  and src/common/schemas/datafile.schema.ts;
- a job is patched with `{statusCode, statusMessage, jobResultObject}` at `PATCH /api/v4/jobs/<id>`
  (src/jobs/dto/update-job.dto.ts; v3 `PATCH /api/v3/Jobs/<id>` takes `jobStatusMessage`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from .errors import SciCatUnreadable
from .source import SciCatSource

# Job status codes SciCat's own e-mail template knows (src/common/email-templates/job-template.html).
JOB_DONE = "finishedSuccessful"
JOB_FAILED = "finishedUnsuccessful"


class UnknownDataset(SciCatUnreadable):
    """SciCat does not know (or does not show us) a dataset PID."""

    def __init__(self, url: str, pid: str) -> None:
        self.pid = pid
        super().__init__(url, f"SciCat has no dataset {pid!r}")


@dataclass(frozen=True)
class ListedFile:
    """One file as an origdatablock lists it: path relative to the source folder, checksum and its algorithm."""

    path: str
    size: int
    chk: str | None
    chk_alg: str | None


@dataclass(frozen=True)
class Dataset:
    """Where a dataset's files are and which files SciCat lists for it."""

    pid: str
    source_folder: str
    source_host: str
    files: tuple[ListedFile, ...]


def dataset_pids(document: dict[str, Any]) -> tuple[str, ...]:
    """Return the dataset PIDs a PublishedData document covers (v4 `datasetPids`, v3 `pidArray`)."""
    pids = document.get("datasetPids")
    if not isinstance(pids, list):
        pids = document.get("pidArray")
    return tuple(p for p in pids if isinstance(p, str) and p) if isinstance(pids, list) else ()


def read_dataset(source: SciCatSource, pid: str) -> Dataset:
    """Return a dataset with the files of all its origdatablocks; raise UnknownDataset or SciCatUnreadable."""
    v4 = source.version == "v4"
    base = f"{source.base_url}/api/{'v4/datasets' if v4 else 'v3/Datasets'}/{quote(pid, safe='')}"
    document = source.call("GET", base, missing_ok=True)
    if not isinstance(document, dict) or not document.get("pid"):
        raise UnknownDataset(base, pid)
    folder = document.get("sourceFolder")
    if not isinstance(folder, str) or not folder.startswith("/"):
        raise SciCatUnreadable(base, f"dataset {pid} has no absolute sourceFolder")
    if v4:
        url = f"{source.base_url}/api/v4/origdatablocks"
        blocks = source.call("GET", url, params={"filter": json.dumps({"where": {"datasetId": pid}})})
    else:
        url = f"{base}/origdatablocks"
        blocks = source.call("GET", url)
    if not isinstance(blocks, list):
        raise SciCatUnreadable(url, "expected a JSON array of origdatablocks")
    files = tuple(_files(blocks, url))
    host = document.get("sourceFolderHost")
    return Dataset(pid, folder.rstrip("/") or "/", host if isinstance(host, str) else "", files)


def _files(blocks: list[Any], url: str) -> list[ListedFile]:
    files = []
    for block in blocks:
        if not isinstance(block, dict) or not isinstance(block.get("dataFileList"), list):
            raise SciCatUnreadable(url, "an origdatablock has no dataFileList")
        alg = block.get("chkAlg") if isinstance(block.get("chkAlg"), str) else None
        for entry in block["dataFileList"]:
            if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
                raise SciCatUnreadable(url, "a dataFileList entry has no path")
            chk = entry.get("chk") if isinstance(entry.get("chk"), str) and entry.get("chk") else None
            size = entry["size"] if isinstance(entry.get("size"), int) else -1
            files.append(ListedFile(entry["path"], size, chk, alg if chk else None))
    return files


def published_with_dataset(source: SciCatSource, pid: str) -> list[dict[str, Any]]:
    """Return the PublishedData documents whose dataset list holds this PID (v4 only)."""
    if source.version != "v4":
        raise SciCatUnreadable(source.base_url, "finding a dataset's DOI needs SciCat's v4 API")
    limits = json.dumps({"skip": 0, "limit": 100})
    page = source._get("v4", {"filter": json.dumps({"where": {"datasetPids": pid}}), "limits": limits})
    return [d for d in page if isinstance(d, dict)] if isinstance(page, list) else []


def report_job(source: SciCatSource, job_id: str, code: str, message: str, result: dict[str, Any]) -> None:
    """Tell SciCat's jobs API how a job ended (v4 status code; v3 only has a status message)."""
    if source.version == "v4":
        body: dict[str, Any] = {"statusCode": code, "statusMessage": message, "jobResultObject": result}
        source.call("PATCH", f"{source.base_url}/api/v4/jobs/{quote(job_id, safe='')}", json=body)
    else:
        body = {"jobStatusMessage": code, "jobResultObject": {**result, "message": message}}
        source.call("PATCH", f"{source.base_url}/api/v3/Jobs/{quote(job_id, safe='')}", json=body)
