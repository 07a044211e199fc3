# The ministry writes dates day first in English too: "28 April 2009", not "April 28, 2009".
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "d/m/Y"
