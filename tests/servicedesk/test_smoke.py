def test_home_sends_each_kind_of_user_to_their_own_start(client, practice_user, agent):
    assert client.get("/").url.startswith("/accounts/login/")
    client.force_login(practice_user)
    assert client.get("/").url == "/incidents/"
    client.force_login(agent)
    assert client.get("/").url == "/admin/"


def test_the_contact_page_shows_the_desks_details(client, db, settings):
    page = client.get("/contact/").content.decode()

    assert settings.SERVICE_DESK["phone"] in page
    assert settings.SERVICE_DESK["enquiries_email"] in page
    assert settings.SERVICE_DESK["hours"] in page
