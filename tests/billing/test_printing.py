"""The printable invoice (HTML, one A4 page) and its PDF from the same template, with the
organization's name, the client's address, the lines, the totals and the payment note."""

from __future__ import annotations

from tests import factories as f


def test_the_pdf_is_a_pdf_of_the_invoice(client, org, other_org):
    invoice = f.make_invoice(org, f.make_client(org, address="1 Rue de la Paix, Paris"), send=True)
    user = f.make_user(org, "Viewer")
    resp = client.get(f"/api/v1/invoices/{invoice.id}/pdf", headers=f.auth(user))
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert resp.data.startswith(b"%PDF-") and len(resp.data) > 1000
    assert invoice.number.replace("/", "-") in resp.headers["Content-Disposition"]
    theirs = f.make_invoice(other_org)
    assert client.get(f"/api/v1/invoices/{theirs.id}/pdf", headers=f.auth(user)).status_code == 404
    assert client.get(f"/api/v1/invoices/{invoice.id}/pdf").status_code == 401
    nobody = f.make_user(org, "NoAccess")
    assert client.get(f"/api/v1/invoices/{invoice.id}/pdf", headers=f.auth(nobody)).status_code == 403


def test_the_printable_page_shows_what_the_client_must_pay(client, org):
    c = f.make_client(org, name="Printed Client", address="42 Harbour Road\nDublin")
    invoice = f.make_invoice(
        org, c, lines=(("Consulting <b>days</b>", "3", "500", "23", "0"),), notes="IBAN IE00 1234", send=True
    )
    user = f.make_user(org, "Staff")
    f.page_login(client, user)
    page = client.get(f"/invoices/print/{invoice.id}").get_data(as_text=True)
    for text in (org.name, "Printed Client", "42 Harbour Road", invoice.number, "1,845.00 EUR", "IBAN IE00 1234"):
        assert text in page, text
    assert "Consulting &lt;b&gt;days&lt;/b&gt;" in page  # escaped
    assert "size: A4" in page and "http" not in page.split("<body")[0]
    pdf = client.get(f"/invoices/pdf/{invoice.id}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
