def test_create_and_read_poll(client, poll):
    response = client.get(f"/api/v1/polls/{poll['id']}")
    assert response.status_code == 200
    body = response.get_json()
    net = next(a for a in body["questions"][0]["answers"] if a["code"] == "closer")
    assert net["pct"] == 45 and net["is_net"] and net["components"] == ["significantly_closer", "slightly_closer"]
