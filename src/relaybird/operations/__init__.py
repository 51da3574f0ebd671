"""Operations: the cross-domain read model behind /metrics, `relaybird status` and the dashboard's
overview (aggregates read at request time, so every process reports the same figures)."""
