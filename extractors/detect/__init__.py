"""Detection: trade-talk events, tariff figures and deadlines in article text. Pure: text in, facts out."""
