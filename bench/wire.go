package bench

// ClientName identifies the bots in Hello.client.
const ClientName = "skirmish-bots/0.1"
