"""Real voice: the connector interface to telephone switches (`switch`), call control joining a switch to
the live routing engine (`control`), the Kamailio evapi switch (`kamailio`), the rtpengine NG client
(`rtpengine`) and the opt-in lab that runs them with real SIP peers (`lab`). See docs/telephony.md."""
