"""How the generated pages print values: an empty one as a dash (FAB prints "None") and a
timestamp to the minute (FAB prints microseconds)."""

import re

from tests import factories as f


def test_empty_values_are_a_dash_and_timestamps_stop_at_the_minute(client, org):
    manager = f.make_user(org, "Manager")
    customer = f.make_client(org, manager, name="Quiet Client", phone=None, tags=None)
    f.page_login(client, manager)
    listing = client.get("/clients/list/").get_data(as_text=True)
    row = listing[listing.index("Quiet Client") :].split("</tr>")[0]
    assert "None" not in row and "—" in row
    detail = client.get(f"/clients/show/{customer.id}").get_data(as_text=True)
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d(?![:\d])", detail)
    assert not re.search(r"\d\d:\d\d:\d\d\.\d{6}", detail)
