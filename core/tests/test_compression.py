import gzip

import pytest

pytestmark = pytest.mark.django_db


def test_html_pages_are_gzipped_with_their_headers(tenant, owner, client_for):
    client = client_for(owner)
    plain = client.get("/leads/")
    packed = client.get("/leads/", HTTP_ACCEPT_ENCODING="gzip")

    assert plain.get("Content-Encoding") is None
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    assert packed["Content-Security-Policy"] == plain["Content-Security-Policy"]
    html = gzip.decompress(packed.content).decode()
    assert "<html" in html
    assert len(packed.content) < len(plain.content) / 3


def test_streamed_csv_and_other_types_are_left_alone(tenant, owner, client_for):
    client = client_for(owner)
    export = client.get("/leads/export.csv", HTTP_ACCEPT_ENCODING="gzip")
    assert export.streaming
    assert export.get("Content-Encoding") is None
    report = client.get("/analytics/export/pipeline.csv", HTTP_ACCEPT_ENCODING="gzip")
    assert report.get("Content-Encoding") is None
