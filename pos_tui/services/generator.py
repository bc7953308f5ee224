"""Seeded bulk data: many realistic customers and paid sales for a demo or a benchmark.

`generate()` adds N customers and M paid orders to a store that already has products and
cashiers (the demo store). For speed it writes with bulk inserts in a few big transactions
instead of calling the services row by row, but it computes every derived value the way the
services do: search tokens, `search_key`, `name_key` and `score` with `customer_search`, line and
order amounts with `money.line_amounts` / `order_totals`, payments with
`payments.plan_payments`, order numbers from each till's `Sequence` row (advanced, so the next
real sale continues the numbering), and visit counts and last visits from the generated sales.

The people: Spanish and Latin American names with their accents (two surnames; companies
"… S.L.", "… S.A. de C.V."), addresses and postal codes per country, phone numbers valid for
their country (E.164 and a typed form), unique emails derived from the name (on the reserved
example.com/.net/.org domains, so none can reach a real person), tax IDs with correct check
digits (NIF/NIE/CIF, RFC, NIT, CUIT, RUT, RUC), loyalty cards, a few discounts. Weighted to
Spain, as the demo store is Spanish.

The loyalty ledger of those sales, as the services write it (`loyalty.on_checkout`, and a nightly
`loyalty.expire` at 03:00): points earned on every sale with a customer under the rules in force
then (tier from the year's spend, excluded products, minimum sale), now and then a sale partly
paid with points (a `points` payment and its redeem entry, the points closest to expiry taken
first), and the expiry of what is left a year on; `Customer.points` is the ledger's balance. It
draws from its own random generator, so the customers and the other sales are the same with it.

Deterministic: the same seed, counts, `today` and starting database give the same rows.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import json
import random
import re
import time
import unicodedata
import uuid as uuidlib
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

import phonenumbers
from peewee import BooleanField
from stdnum.ar import cuit as ar_cuit
from stdnum.cl import rut as cl_rut
from stdnum.co import nit as co_nit
from stdnum.es import cif as es_cif
from stdnum.es import dni as es_dni
from stdnum.es import nie as es_nie
from stdnum.mx import rfc as mx_rfc
from stdnum.pe import ruc as pe_ruc

from pos_tui import db, models
from pos_tui.errors import StateError
from pos_tui.i18n import _
from pos_tui.money import LineAmounts, line_amounts, order_totals
from pos_tui.services import customer_search, loyalty
from pos_tui.services.payments import CARD, CASH, POINTS, TRANSFER, Tender, plan_payments
from pos_tui.services.store import get_store

Progress = Callable[[int, int], None]

#: Customers, or orders, written per transaction: a till waiting for the write lock (its busy
#: timeout is 30 s) gets its turn between two of them.
CHUNK = 50_000
#: How far back the sales go.
DAYS = 730
TILLS = (("T1", 65), ("T2", 35))
#: The page cache while generating (KiB, as SQLite's negative cache_size): index pages stay
#: in memory instead of being written to the WAL again and again.
GENERATION_CACHE_KIB = 1_000_000


@dataclass(frozen=True)
class GenerateSummary:
    customers: int
    orders: int
    lines: int
    payments: int
    sessions: int
    tokens: int
    seconds: float
    seed: int
    first_day: date | None = None
    last_day: date | None = None
    loyalty_entries: int = 0


# Weighted choices ---------------------------------------------------------------------------------


class _Pool:
    """Items with weights; `pick(rng)` is one bisect."""

    def __init__(self, items: Sequence, weights: Sequence[float]):
        if not items or len(items) != len(weights):
            raise ValueError("a pool needs items and as many weights")
        self.items = list(items)
        self.cum = list(itertools.accumulate(weights))
        self.total = self.cum[-1]

    def pick(self, rng: random.Random):
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total)]


def _names(text: str) -> _Pool:
    """`"García 314, Rodríguez 200, Abad"`: names with their weights (10 when left out)."""
    items, weights = [], []
    for entry in text.split(","):
        entry = " ".join(entry.split())
        if not entry:
            continue
        head, _sep, tail = entry.rpartition(" ")
        if head and tail.replace(".", "").isdigit():
            items.append(head)
            weights.append(float(tail))
        else:
            items.append(entry)
            weights.append(10.0)
    return _Pool(items, weights)


def _pool(pairs: Iterable[tuple[object, float]]) -> _Pool:
    pairs = list(pairs)
    return _Pool([p[0] for p in pairs], [p[1] for p in pairs])


# Names -------------------------------------------------------------------------------------------

_ES_FEMALE = _names("""
María del Carmen 60, María 58, Carmen 38, Ana María 30, Josefa 28, Isabel 27, María del Pilar 26,
Laura 25, María Dolores 24, Ana 24, Lucía 24, Cristina 23, Marta 23, María Teresa 22, Francisca 21,
María de los Ángeles 20, Antonia 19, Paula 18, Sara 17, Elena 17, María José 17, María Isabel 17,
Raquel 15, Dolores 15, Manuela 14, Rosa María 14, María Luisa 14, Pilar 13, Sofía 13, Alba 12,
Julia 12, Beatriz 12, Concepción 12, Mercedes 12, Nuria 12, Silvia 12, Irene 12, Juana 11, Rosario 11,
Teresa 11, Andrea 11, Patricia 11, Rocío 10, Montserrat 10, Encarnación 10, Mónica 10, Alicia 10,
Rosa 10, María del Mar 10, Sonia 9, Sandra 9, Ángela 9, Marina 9, Susana 9, Natalia 9, Yolanda 9,
Margarita 8, Claudia 8, Eva 8, Inmaculada 8, Carla 8, Esther 8, Noelia 7, Verónica 7, Nerea 7,
Carolina 7, Inés 7, Miriam 6, Daniela 6, Lorena 6, Ana Belén 6, Victoria 6, Amparo 6, Martina 6,
Lidia 5, Alejandra 5, Celia 5, Consuelo 5, Olga 5, Fátima 5, Gloria 5, Emilia 4, Begoña 4, Valeria 4,
Aitana 4, Noa 4, Jimena 3, Candela 3, Macarena 3, Soledad 4, Remedios 3, Milagros 3, Azucena 2,
Maite 3, Estefanía 3, Tamara 3, Vanesa 3, Olivia 3, Zoe 3, Adriana 3, Elisa 3, Aurora 3, Esperanza 3,
Nieves 3, Purificación 2, Asunción 3, Belén 4, Gema 4, Ruth 3, Rebeca 3, Chelo 1, Maribel 3, Luisa 4,
Ángeles 4, Begoña 3, Iciar 1, Ascensión 2, Trinidad 2, Adela 2, Ramona 2, Leonor 2, Vega 2, Triana 2
""")
_ES_MALE = _names("""
Antonio 62, José 58, Manuel 50, Francisco 42, David 38, Juan 38, José Antonio 34, Javier 32, Daniel 30,
José Luis 30, Francisco Javier 29, Carlos 28, Jesús 27, Alejandro 26, Miguel 25, José Manuel 24,
Rafael 22, Miguel Ángel 22, Pablo 21, Pedro 21, Ángel 20, Sergio 19, José María 18, Fernando 18,
Jorge 17, Luis 17, Alberto 15, Juan Carlos 15, Álvaro 15, Adrián 14, Juan José 14, Diego 14, Raúl 13,
Iván 13, Juan Antonio 13, Rubén 12, Enrique 12, Óscar 12, Ramón 11, Andrés 11, Vicente 11,
Juan Manuel 11, Joaquín 10, Santiago 10, Víctor 10, Eduardo 10, Mario 10, Roberto 10, Jaime 9,
Francisco José 9, Marcos 9, Ignacio 9, Hugo 9, Alfonso 8, Salvador 8, Ricardo 8, Emilio 7,
Guillermo 7, Gabriel 7, Julián 6, Julio 6, Tomás 6, Agustín 6, José Miguel 6, Martín 6, Nicolás 6,
Gonzalo 6, Samuel 5, Félix 5, Ismael 5, Cristian 5, Lucas 5, Héctor 5, Mateo 5, Leo 4, Marco 4,
Aarón 4, Rodrigo 5, Íñigo 3, Borja 3, Gregorio 3, Mariano 3, Domingo 3, Lorenzo 3, Benito 2,
Eugenio 3, Esteban 3, Germán 3, Sebastián 3, Arturo 3, Alfredo 3, Bruno 3, Izan 3, Adolfo 2,
Fermín 2, Teodoro 1, Casimiro 1, Cándido 1, Ginés 2, Jacinto 1, Lázaro 1, Nacho 1, Paco 1
""")
_ES_SURNAMES = _names("""
García 314, Rodríguez 200, González 196, Fernández 193, López 188, Martínez 179, Sánchez 177,
Pérez 169, Gómez 107, Martín 104, Jiménez 84, Hernández 78, Ruiz 77, Díaz 76, Moreno 74, Muñoz 63,
Álvarez 63, Romero 51, Gutiérrez 44, Alonso 44, Navarro 43, Torres 42, Domínguez 41, Ramos 38,
Vázquez 38, Ramírez 37, Gil 37, Serrano 36, Morales 34, Molina 34, Blanco 33, Suárez 33, Castro 32,
Ortega 32, Delgado 31, Ortiz 31, Marín 31, Rubio 31, Núñez 29, Medina 28, Sanz 28, Castillo 28,
Iglesias 28, Cortés 27, Garrido 27, Santos 27, Guerrero 26, Lozano 25, Cano 25, Cruz 24, Méndez 24,
Flores 24, Prieto 24, Herrera 23, Peña 23, León 22, Márquez 22, Cabrera 22, Gallego 22, Calvo 22,
Vidal 21, Campos 21, Reyes 20, Vega 20, Fuentes 20, Carrasco 20, Díez 19, Aguilar 19, Caballero 19,
Nieto 19, Santana 18, Pascual 18, Herrero 18, Montero 18, Hidalgo 17, Lorenzo 17, Giménez 17,
Ibáñez 17, Ferrer 17, Durán 16, Santiago 16, Benítez 16, Vargas 15, Mora 15, Vicente 15, Arias 15,
Carmona 15, Crespo 14, Román 14, Pastor 14, Soto 14, Sáez 14, Velasco 14, Moya 14, Soler 14,
Parra 13, Esteban 13, Bravo 13, Gallardo 13, Rojas 13, Pardo 12, Merino 12, Franco 12, Espinosa 12,
Izquierdo 12, Lara 12, Rivas 12, Silva 12, Rivera 12, Casado 11, Arroyo 11, Redondo 11, Camacho 11,
Rey 11, Vera 11, Otero 11, Luque 11, Galán 11, Montes 11, Ríos 11, Sierra 11, Segura 10, Carrillo 10,
Marcos 10, Marí 10, Soriano 10, Mendoza 10, Robles 10, Bernal 10, Vila 10, Valero 10, Palacios 10,
Benito 9, Pozo 9, Macías 9, Guzmán 9, Varela 9, Quintana 9, Aranda 9, Salazar 8, Toledo 8, Ávila 8,
Beltrán 8, Mateo 8, Cuesta 8, Miranda 8, Escudero 8, Villar 8, Bermúdez 8, Trujillo 7, Sosa 7,
Manzano 7, Hurtado 7, Paredes 7, Roldán 7, Aparicio 7, Rico 7, Cárdenas 6, Salinas 6, Muñiz 5,
Peinado 4, de la Fuente 6, del Río 5, de la Cruz 5, Ordóñez 5, Zamora 6, Zapata 4, Zurita 2,
Quesada 5, Quiroga 3, Yuste 2, Úbeda 2, Ochoa 4, Echeverría 3, Barrios 6, Bustos 5, Mejías 4,
Valle 6, Valverde 6, Acosta 5, Chacón 5, Pineda 5, Rosales 4, Tomás 5, Solís 5, Ballesteros 5,
Maldonado 5, Polo 5, Alarcón 5, Cabello 5, Vallejo 6, Lucas 6, Millán 5, Cid 3, Llorente 5, Cobo 4,
Heredia 5, Conde 5, Plaza 5, Arenas 5, Cordero 5, Castaño 4, Ferrero 4, Jurado 5, Becerra 4, Godoy 4,
Luna 6, Pacheco 6, Bueno 6, Fuertes 3, Calderón 5, Figueroa 3, Meléndez 3, Zambrano 3, Palomo 3,
Osorio 3, Sevilla 5, Expósito 5, Andrés 6, Ferrández 4, Garzón 3, Gonzalo 4, Gordillo 3, Abad 4,
Acebedo 1, Peñalver 2, Muñoz de la Peña 1, Sáenz 3, Sainz 3, Yáñez 3, Zarza 1, Zubiri 1, Quintero 3
""")
# Regional names, used in the cities of Catalonia, the Basque Country and Galicia.
_CA_FEMALE = _names("Montserrat 8, Núria 8, Laia 8, Mireia 6, Marta 6, Anna 6, Maria 6, Júlia 6, "
                    "Berta 4, Aina 4, Mercè 4, Roser 3, Neus 3, Carme 4, Meritxell 4, Queralt 2, "
                    "Clàudia 3, Ona 3, Jana 3")
_CA_MALE = _names("Jordi 10, Joan 9, Josep 9, Marc 10, Pau 8, Pol 6, Oriol 6, Arnau 6, Xavier 6, "
                  "Albert 5, Jaume 5, Sergi 5, Ferran 4, Roger 4, Quim 2, Gerard 4, Martí 3, Biel 3, Lluís 3")
_CA_SURNAMES = _names("Puig 10, Vidal 9, Ferrer 9, Serra 8, Font 7, Pujol 7, Roca 7, Mas 7, Soler 7, "
                      "Bosch 6, Casals 6, Vila 6, Riera 5, Camps 5, Sala 5, Martí 5, Prat 5, Torres 6, "
                      "Costa 5, Coll 5, Pons 5, Roig 4, Batlle 3, Vives 4, Sabaté 3, Folch 2, Planas 4, "
                      "Bonet 4, Canals 4, Codina 3, Farré 3, Miró 3, Ribas 4, Solé 5, Tarrés 2, "
                      "Vendrell 3, Fàbregas 2, Gispert 2")
_EU_FEMALE = _names("Ainhoa 8, Nerea 8, Leire 7, Ane 7, Maialen 5, Itziar 5, Amaia 6, Garazi 4, "
                    "Irati 5, Edurne 4, Miren 5, Arantxa 5, Nahia 4, June 4, Uxue 3")
_EU_MALE = _names("Iker 8, Unai 8, Aitor 8, Ander 7, Mikel 8, Jon 8, Asier 6, Gorka 6, Iñaki 6, "
                  "Koldo 3, Xabier 5, Eneko 5, Julen 5, Ibai 4, Oier 3")
_EU_SURNAMES = _names("Etxeberria 8, Agirre 6, Aguirre 6, Goikoetxea 5, Zubizarreta 3, Urrutia 5, "
                      "Olano 3, Echevarría 4, Larrañaga 4, Arrieta 4, Ibarra 5, Uriarte 5, Elorza 3, "
                      "Iturbe 3, Zabala 5, Mendizábal 3, Ugarte 4, Garmendia 5, Bilbao 3, Azkue 2, "
                      "Gorostiaga 3, Lasa 3, Arregi 3, Etxebarria 4, Iriarte 3, Olaizola 2, Sarasola 2, "
                      "Zubiaurre 2, Aranburu 3")
_GL_FEMALE = _names("Uxía 5, Antía 4, Noa 4, Sabela 4, Iria 5, Xiana 3, Lúa 2, Carme 3, María 8, Carmen 6")
_GL_MALE = _names("Xoán 5, Brais 4, Iago 5, Xabier 4, Antón 3, Roi 3, Uxío 2, Breixo 2, Xosé 4, "
                  "Manuel 8, José 8")
_GL_SURNAMES = _names("Otero 6, Varela 6, Rey 5, Castro 6, Vázquez 6, Pazos 4, Seoane 4, Lema 4, Souto 4, "
                      "Carballo 4, Figueira 2, Bouzas 2, Outeiro 2, Fernández 8, López 8, Rodríguez 8, "
                      "Pereira 4, Lorenzo 4, Iglesias 5, Barreiro 3, Piñeiro 3, Castiñeira 2, Rivas 3")

_MX_MALE = _names("""
José 30, Juan 25, Luis 15, José Luis 18, Juan Carlos 12, Carlos 15, Jesús 14, Jorge 12, Miguel 12,
Miguel Ángel 10, Alejandro 12, Francisco 12, Fernando 9, Eduardo 8, Ricardo 8, Roberto 8, Javier 8,
Manuel 8, Antonio 9, Pedro 6, Sergio 6, Raúl 6, Arturo 5, Héctor 6, Víctor 6, Óscar 5, Santiago 6,
Mateo 5, Sebastián 6, Emiliano 5, Diego 6, Leonardo 5, Gerardo 5, Armando 4, Rodrigo 5, Ángel 5,
Gael 3, Rogelio 2, Efraín 2, Octavio 2, Cuauhtémoc 1, Ulises 2, Iker 2
""")
_MX_FEMALE = _names("""
María Guadalupe 20, Guadalupe 12, María 15, Juana 8, Margarita 8, Verónica 8, Leticia 7, Rosa María 7,
Patricia 8, Elizabeth 6, Alejandra 8, Ximena 7, Valeria 7, Fernanda 6, María Fernanda 6, Daniela 7,
Sofía 7, Regina 5, Camila 6, Mariana 7, Itzel 4, Citlali 3, Yolanda 5, Gabriela 7, Adriana 6,
Araceli 4, Brenda 4, Karla 5, Lizbeth 3, Rocío 4, Xóchitl 2, Esmeralda 4, Paola 5, Andrea 6,
Ana Karen 3, Diana 5, Claudia 6, Martha 5, Norma 4, Silvia 5, Teresa 4, Dulce María 3
""")
_MX_SURNAMES = _names("""
Hernández 500, García 350, Martínez 320, López 300, González 290, Pérez 220, Rodríguez 210, Sánchez 210,
Ramírez 190, Cruz 130, Flores 130, Gómez 130, Morales 100, Vázquez 100, Reyes 100, Jiménez 90,
Torres 90, Díaz 90, Gutiérrez 90, Ruiz 80, Mendoza 80, Aguilar 80, Ortiz 70, Moreno 70, Castillo 70,
Romero 60, Álvarez 60, Méndez 60, Chávez 60, Rivera 60, Juárez 60, Ramos 60, Domínguez 50,
Herrera 50, Medina 50, Castro 50, Vargas 50, Guzmán 50, Velázquez 50, Muñoz 40, Rojas 40, Salazar 40,
Contreras 40, Luna 40, Ortega 40, Guerrero 40, Estrada 40, Bautista 40, Cortés 30, Soto 30,
Alvarado 30, Espinoza 30, Lara 30, Ávila 30, Ríos 30, Cervantes 30, Silva 30, Delgado 30, Vega 30,
Márquez 30, Sandoval 30, Fernández 30, León 30, Carrillo 30, Mejía 30, Solís 30, Núñez 30, Rosas 30,
Valdez 30, Ibarra 30, Campos 30, Santiago 30, Treviño 15, Garza 25, Villarreal 15, Zavala 10,
Zúñiga 15, Zamora 10, Quintero 10, Ochoa 15, Escobar 10, Nava 10, Pacheco 15, Meza 15, Cárdenas 15,
Arellano 10, Barrera 10, Tapia 10
""")
_CO_MALE = _names("Juan David 8, Juan Pablo 8, Andrés Felipe 8, Juan Sebastián 7, Carlos Andrés 6, "
                  "Luis Fernando 6, Jhon Jairo 4, José 10, Juan 10, Luis 8, Carlos 8, Jorge 7, Diego 6, "
                  "Santiago 7, Samuel 6, Alejandro 7, Sebastián 6, Camilo 5, Julián 5, Mauricio 4, "
                  "Hernán 4, Wilson 3, Fabio 3, Óscar 5, Jaime 4, Álvaro 4, Germán 4")
_CO_FEMALE = _names("Valentina 8, María Camila 7, Laura 8, Daniela 8, Natalia 6, Paola 5, Luz Marina 4, "
                    "Yuliana 3, Leidy 3, Diana 6, Sandra 6, Claudia 6, Gloria 5, Martha 5, Carolina 6, "
                    "Andrea 6, Catalina 5, Isabella 6, Mariana 6, Sara 5, Ángela 5, Luz Dary 2, Mónica 5, "
                    "Adriana 5, Lina 4, Juliana 5, María Fernanda 5, Alejandra 5")
_CO_SURNAMES = _names("""
Rodríguez 110, Gómez 90, González 85, Martínez 80, García 78, López 75, Hernández 60, Sánchez 55,
Ramírez 55, Pérez 50, Díaz 48, Muñoz 45, Rojas 42, Moreno 42, Jiménez 35, Vargas 35, Castro 32,
Gutiérrez 30, Ortiz 28, Álvarez 28, Restrepo 20, Cardona 20, Ospina 18, Giraldo 18, Zapata 18,
Osorio 18, Valencia 18, Quintero 15, Arango 15, Henao 14, Mejía 15, Marín 14, Londoño 14, Cárdenas 12,
Velásquez 12, Torres 25, Ruiz 20, Suárez 18, Romero 18, Herrera 18, Castaño 10, Betancur 10,
Salazar 14, Agudelo 10, Montoya 12, Duque 10, Correa 12, Pineda 10, Patiño 8, Buitrago 6, Bermúdez 6
""")
_AR_MALE = _names("Juan Martín 5, Santiago 8, Mateo 7, Lucas 7, Facundo 7, Agustín 7, Nicolás 8, "
                  "Gonzalo 6, Matías 7, Tomás 6, Joaquín 6, Franco 6, Lautaro 5, Juan Pablo 5, Martín 7, "
                  "Sebastián 6, Federico 6, Pablo 6, Diego 6, Alejandro 6, Gustavo 5, Marcelo 5, "
                  "Sergio 5, Daniel 5, Jorge 5, Carlos 6, Luciano 5, Maximiliano 5, Ezequiel 4, "
                  "Hernán 4, Leandro 4, Emiliano 4")
_AR_FEMALE = _names("Martina 7, Sofía 7, Valentina 7, Camila 7, Lucía 7, Florencia 7, Micaela 6, "
                    "Agustina 7, Julieta 6, Milagros 5, Rocío 5, Belén 5, María José 4, Carolina 6, "
                    "Natalia 5, Silvina 4, Gabriela 5, Mariana 5, Paula 5, Romina 4, Soledad 4, Daniela 5, "
                    "Luciana 5, Victoria 5, Antonella 5, Brenda 4, Celeste 3, Graciela 3, Susana 3, Mirta 2")
_AR_SURNAMES = _names("""
González 120, Rodríguez 100, Gómez 90, Fernández 90, López 80, Díaz 75, Martínez 75, Pérez 70,
García 65, Sánchez 60, Romero 55, Sosa 50, Álvarez 45, Torres 45, Ruiz 40, Ramírez 40, Flores 40,
Acosta 38, Benítez 35, Medina 35, Suárez 33, Herrera 30, Aguirre 28, Pereyra 28, Gutiérrez 28,
Giménez 27, Molina 27, Silva 26, Castro 26, Rojas 26, Ortiz 25, Núñez 25, Luna 24, Juárez 24,
Cabrera 23, Ríos 22, Ferreyra 22, Godoy 21, Morales 21, Domínguez 21, Moreno 20, Peralta 20, Vega 20,
Carabajal 18, Quiroga 17, Ledesma 17, Rossi 15, Russo 14, Ferrari 12, Bianchi 8, Romano 10,
Colombo 9, Bruno 9, Costa 9, Ricci 7, Fontana 6, Lombardi 5, Greco 5, Marino 6, Gallo 5, Mancini 4
""")
_CL_MALE = _names("Benjamín 7, Vicente 7, Martín 7, Matías 7, Agustín 6, Joaquín 6, Cristóbal 6, "
                  "Maximiliano 5, Tomás 6, Sebastián 6, Felipe 6, José 7, Juan 7, Luis 6, Carlos 6, "
                  "Jorge 5, Francisco 6, Rodrigo 5, Patricio 4, Claudio 4, Gonzalo 5, Ignacio 5, Diego 5, "
                  "Pablo 5")
_CL_FEMALE = _names("Sofía 7, Isidora 6, Florencia 6, Catalina 7, Antonella 5, Javiera 7, Constanza 6, "
                    "Francisca 6, Fernanda 6, Valentina 7, Camila 7, Daniela 6, María José 6, Carolina 6, "
                    "Paulina 5, Claudia 5, Paola 4, Macarena 5, Trinidad 4, Josefa 5, Emilia 5, Agustina 5")
_CL_SURNAMES = _names("""
González 120, Muñoz 90, Rojas 70, Díaz 65, Pérez 60, Soto 55, Contreras 50, Silva 50, Martínez 48,
Sepúlveda 45, Morales 45, Rodríguez 45, López 42, Fuentes 40, Hernández 40, Torres 38, Araya 38,
Flores 36, Espinoza 36, Valenzuela 35, Castillo 34, Tapia 32, Reyes 32, Gutiérrez 30, Castro 30,
Pizarro 28, Álvarez 28, Vásquez 27, Sánchez 27, Fernández 26, Ramírez 26, Carrasco 25, Gómez 25,
Cortés 24, Herrera 24, Núñez 23, Jara 23, Vergara 22, Rivera 22, Figueroa 21, Riquelme 20, García 20,
Miranda 19, Bravo 19, Vera 18, Molina 18, Vega 18, Campos 17, Sandoval 17, Orellana 16, Zúñiga 16,
Olivares 15, Alarcón 15, Gallardo 15, Ortiz 15, Garrido 14, Salazar 14, Guzmán 14, Henríquez 13,
Saavedra 13, Navarro 13, Aguilera 12, Parra 12, Romero 12, Aravena 11, Cáceres 11
""")
_PE_MALE = _names("Luis 8, Jorge 8, Juan 9, José 9, Carlos 8, César 6, Víctor 6, Miguel 6, Jhon 3, "
                  "Edwin 4, Alex 4, Wilmer 3, Fernando 5, Ricardo 5, Julio 5, Manuel 5, Pedro 5, Raúl 4, "
                  "Christian 4, Jesús 5, Renzo 3, Piero 3, Rodrigo 4, Diego 4, Santiago 4")
_PE_FEMALE = _names("Rosa 8, Carmen 7, María Elena 6, Luz 5, Milagros 6, Yessica 3, Flor 4, Gladys 4, "
                    "Elizabeth 5, Liliana 4, Karina 4, María 8, Ana 6, Juana 5, Sonia 4, Patricia 5, "
                    "Lucía 5, Valeria 5, Camila 5, Fiorella 4, Kiara 3, Ximena 4, Nicole 3, Mariela 4")
_PE_SURNAMES = _names("""
Quispe 150, Flores 100, Sánchez 70, Rodríguez 65, García 60, Rojas 58, Mamani 70, Huamán 55,
Chávez 45, Díaz 45, Ramírez 42, Mendoza 40, Torres 40, Vásquez 38, Castillo 36, Ramos 35, Gonzales 35,
Pérez 34, Romero 30, Vargas 30, Cruz 28, López 28, Gutiérrez 27, Espinoza 27, Reyes 25, Condori 40,
Ticona 15, Huanca 18, Cárdenas 15, Salazar 16, Castro 16, Paredes 15, Silva 14, Ccama 10, Apaza 14,
Morales 14, Ríos 13, Córdova 12, Medina 13, Campos 12, Valdivia 10, Herrera 12, Palomino 9,
Villanueva 11, Aguilar 11, Ruiz 11, Alvarado 10, Zapata 9, Huamaní 8, Llanos 6, Cusi 5, Yupanqui 6,
Inca 4, Ccori 3
""")


@dataclass(frozen=True)
class _NameBook:
    female: _Pool
    male: _Pool
    surnames: _Pool
    one_surname: float = 0.0  # share of people who go by a single surname


_BOOKS = {
    "ES": _NameBook(_ES_FEMALE, _ES_MALE, _ES_SURNAMES, 0.005),
    "ca": _NameBook(_CA_FEMALE, _CA_MALE, _CA_SURNAMES),
    "eu": _NameBook(_EU_FEMALE, _EU_MALE, _EU_SURNAMES),
    "gl": _NameBook(_GL_FEMALE, _GL_MALE, _GL_SURNAMES),
    "MX": _NameBook(_MX_FEMALE, _MX_MALE, _MX_SURNAMES, 0.02),
    "CO": _NameBook(_CO_FEMALE, _CO_MALE, _CO_SURNAMES, 0.05),
    "AR": _NameBook(_AR_FEMALE, _AR_MALE, _AR_SURNAMES, 0.6),  # Argentines mostly use one
    "CL": _NameBook(_CL_FEMALE, _CL_MALE, _CL_SURNAMES, 0.03),
    "PE": _NameBook(_PE_FEMALE, _PE_MALE, _PE_SURNAMES, 0.05),
}


# Places ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _City:
    name: str
    state: str
    postal: tuple[str, int, int, int]  # (prefix, lowest, highest, digits)
    landline: str  # phone pattern of the city's fixed lines
    weight: float
    region: str = ""  # "ca", "eu", "gl": the regional names and language used there

    def postal_code(self, rng: random.Random) -> str:
        prefix, low, high, width = self.postal
        return f"{prefix}{rng.randint(low, high):0{width}d}"


def _es(name, state, low, high, landline, weight, region=""):
    return _City(name, state, ("", low, high, 5), landline, weight, region)


_ES_CITIES = (
    _es("Madrid", "Madrid", 28001, 28055, "91[2-7]######", 33),
    _es("Barcelona", "Barcelona", 8001, 8042, "93[2-4]######", 16, "ca"),
    _es("Valencia", "Valencia", 46001, 46026, "96[1-3]######", 8),
    _es("Sevilla", "Sevilla", 41001, 41020, "95[45]######", 7),
    _es("Zaragoza", "Zaragoza", 50001, 50022, "976######", 7),
    _es("Málaga", "Málaga", 29001, 29018, "952######", 6),
    _es("Murcia", "Murcia", 30001, 30012, "968######", 4.5),
    _es("Palma", "Illes Balears", 7001, 7015, "971######", 4),
    _es("Las Palmas de Gran Canaria", "Las Palmas", 35001, 35019, "928######", 4),
    _es("Bilbao", "Bizkaia", 48001, 48015, "94[46]######", 3.5, "eu"),
    _es("Alicante", "Alicante", 3001, 3016, "965######", 3.3),
    _es("Córdoba", "Córdoba", 14001, 14014, "957######", 3.2),
    _es("Valladolid", "Valladolid", 47001, 47016, "983######", 3),
    _es("Vigo", "Pontevedra", 36201, 36216, "986######", 3, "gl"),
    _es("Gijón", "Asturias", 33201, 33213, "985######", 2.7),
    _es("L'Hospitalet de Llobregat", "Barcelona", 8901, 8908, "93[2-4]######", 2.6, "ca"),
    _es("A Coruña", "A Coruña", 15001, 15011, "981######", 2.4, "gl"),
    _es("Vitoria-Gasteiz", "Araba/Álava", 1001, 1015, "945######", 2.5, "eu"),
    _es("Granada", "Granada", 18001, 18015, "958######", 2.3),
    _es("Elche", "Alicante", 3201, 3208, "966######", 2.3),
    _es("Oviedo", "Asturias", 33001, 33013, "985######", 2.2),
    _es("Badalona", "Barcelona", 8911, 8918, "93[2-4]######", 2.2, "ca"),
    _es("Cartagena", "Murcia", 30201, 30205, "968######", 2.1),
    _es("Terrassa", "Barcelona", 8221, 8228, "937######", 2.2, "ca"),
    _es("Jerez de la Frontera", "Cádiz", 11401, 11408, "956######", 2.1),
    _es("Sabadell", "Barcelona", 8201, 8208, "937######", 2.1, "ca"),
    _es("Móstoles", "Madrid", 28931, 28938, "91[2-7]######", 2.1),
    _es("Santa Cruz de Tenerife", "Santa Cruz de Tenerife", 38001, 38010, "922######", 2.1),
    _es("Pamplona", "Navarra", 31001, 31016, "948######", 2.0),
    _es("Almería", "Almería", 4001, 4009, "950######", 2.0),
    _es("Alcalá de Henares", "Madrid", 28801, 28807, "91[2-7]######", 2.0),
    _es("Fuenlabrada", "Madrid", 28941, 28947, "91[2-7]######", 1.9),
    _es("Leganés", "Madrid", 28911, 28919, "91[2-7]######", 1.9),
    _es("Donostia-San Sebastián", "Gipuzkoa", 20001, 20018, "943######", 1.9, "eu"),
    _es("Getafe", "Madrid", 28901, 28909, "91[2-7]######", 1.8),
    _es("Burgos", "Burgos", 9001, 9007, "947######", 1.8),
    _es("Albacete", "Albacete", 2001, 2008, "967######", 1.7),
    _es("Santander", "Cantabria", 39001, 39012, "942######", 1.7),
    _es("Castellón de la Plana", "Castellón", 12001, 12006, "964######", 1.7),
    _es("Logroño", "La Rioja", 26001, 26009, "941######", 1.5),
    _es("Badajoz", "Badajoz", 6001, 6011, "924######", 1.5),
    _es("Salamanca", "Salamanca", 37001, 37008, "923######", 1.4),
    _es("Huelva", "Huelva", 21001, 21007, "959######", 1.4),
    _es("Lleida", "Lleida", 25001, 25008, "973######", 1.4, "ca"),
    _es("Tarragona", "Tarragona", 43001, 43008, "977######", 1.3, "ca"),
    _es("León", "León", 24001, 24010, "987######", 1.2),
    _es("Cádiz", "Cádiz", 11001, 11012, "956######", 1.1),
    _es("Jaén", "Jaén", 23001, 23009, "953######", 1.1),
    _es("Ourense", "Ourense", 32001, 32005, "988######", 1.0, "gl"),
    _es("Girona", "Girona", 17001, 17007, "972######", 1.0, "ca"),
    _es("Santiago de Compostela", "A Coruña", 15701, 15707, "981######", 1.0, "gl"),
    _es("Toledo", "Toledo", 45001, 45008, "925######", 0.9),
    _es("Cáceres", "Cáceres", 10001, 10005, "927######", 0.9),
    _es("Segovia", "Segovia", 40001, 40006, "921######", 0.5),
    _es("Cuenca", "Cuenca", 16001, 16004, "9692#####", 0.4),
)
_MX_CITIES = (
    _City("Ciudad de México", "Ciudad de México", ("", 1000, 16999, 5), "55########", 30),
    _City("Guadalajara", "Jalisco", ("", 44100, 44990, 5), "33########", 10),
    _City("Monterrey", "Nuevo León", ("", 64000, 64990, 5), "81########", 10),
    _City("Puebla", "Puebla", ("", 72000, 72590, 5), "222#######", 6),
    _City("Tijuana", "Baja California", ("", 22000, 22750, 5), "664#######", 5),
    _City("León", "Guanajuato", ("", 37000, 37690, 5), "477#######", 5),
    _City("Querétaro", "Querétaro", ("", 76000, 76250, 5), "442#######", 4),
    _City("Mérida", "Yucatán", ("", 97000, 97390, 5), "999#######", 4),
    _City("Cancún", "Quintana Roo", ("", 77500, 77539, 5), "998#######", 3),
    _City("Toluca", "Estado de México", ("", 50000, 50299, 5), "722#######", 4),
    _City("San Luis Potosí", "San Luis Potosí", ("", 78000, 78430, 5), "444#######", 3),
    _City("Aguascalientes", "Aguascalientes", ("", 20000, 20399, 5), "449#######", 3),
    _City("Oaxaca de Juárez", "Oaxaca", ("", 68000, 68290, 5), "951#######", 2),
    _City("Veracruz", "Veracruz", ("", 91700, 91960, 5), "229#######", 3),
    _City("Morelia", "Michoacán", ("", 58000, 58350, 5), "443#######", 3),
)
_CO_CITIES = (
    _City("Bogotá", "Bogotá D.C.", ("11", 111, 1831, 4), "601[2-9]######", 35),
    _City("Medellín", "Antioquia", ("05", 10, 9999, 4), "604[2-9]######", 15),
    _City("Cali", "Valle del Cauca", ("76", 1, 99, 4), "602[2-9]######", 12),
    _City("Barranquilla", "Atlántico", ("08", 1, 99, 4), "605[2-9]######", 8),
    _City("Cartagena de Indias", "Bolívar", ("13", 1, 99, 4), "605[2-9]######", 5),
    _City("Bucaramanga", "Santander", ("68", 1, 99, 4), "607[2-9]######", 5),
    _City("Pereira", "Risaralda", ("66", 1, 99, 4), "606[2-9]######", 4),
    _City("Manizales", "Caldas", ("17", 1, 99, 4), "606[2-9]######", 3),
    _City("Santa Marta", "Magdalena", ("47", 1, 99, 4), "605[2-9]######", 3),
    _City("Cúcuta", "Norte de Santander", ("54", 1, 99, 4), "607[2-9]######", 3),
)
# Argentina: a mobile is its landline pattern behind a 9.
_AR_CITIES = (
    _City("Buenos Aires", "Ciudad Autónoma de Buenos Aires", ("C", 1000, 1440, 4), "11[2-6]#######", 40),
    _City("Córdoba", "Córdoba", ("X", 5000, 5017, 4), "351[2-9]######", 12),
    _City("Rosario", "Santa Fe", ("S", 2000, 2013, 4), "341[2-8]######", 10),
    _City("Mendoza", "Mendoza", ("M", 5500, 5539, 4), "261[2-8]######", 7),
    _City("La Plata", "Buenos Aires", ("B", 1900, 1908, 4), "221[2-6]######", 6),
    _City("Mar del Plata", "Buenos Aires", ("B", 7600, 7612, 4), "223[3-6]######", 5),
    _City("San Miguel de Tucumán", "Tucumán", ("T", 4000, 4003, 4), "381[2-7]######", 5),
    _City("Salta", "Salta", ("A", 4400, 4409, 4), "387[2-6]######", 4),
)
_CL_CITIES = (
    _City("Santiago", "Región Metropolitana", ("", 8320000, 8500000, 7), "22#######", 45),
    _City("Valparaíso", "Valparaíso", ("", 2340000, 2380000, 7), "32#######", 8),
    _City("Viña del Mar", "Valparaíso", ("", 2520000, 2580000, 7), "32#######", 7),
    _City("Concepción", "Biobío", ("", 4030000, 4130000, 7), "41#######", 8),
    _City("La Serena", "Coquimbo", ("", 1700000, 1720000, 7), "51#######", 5),
    _City("Antofagasta", "Antofagasta", ("", 1240000, 1270000, 7), "55#######", 5),
    _City("Temuco", "La Araucanía", ("", 4780000, 4850000, 7), "45#######", 5),
    _City("Rancagua", "O'Higgins", ("", 2820000, 2840000, 7), "72#######", 4),
    _City("Talca", "Maule", ("", 3460000, 3480000, 7), "71#######", 4),
    _City("Puerto Montt", "Los Lagos", ("", 5480000, 5510000, 7), "65#######", 4),
)
_PE_CITIES = (
    _City("Lima", "Lima", ("", 15001, 15499, 5), "1[2-8]######", 50),
    _City("Arequipa", "Arequipa", ("", 4001, 4017, 5), "54[2-8]#####", 9),
    _City("Trujillo", "La Libertad", ("", 13001, 13011, 5), "44[2-8]#####", 7),
    _City("Chiclayo", "Lambayeque", ("", 14001, 14013, 5), "74######", 6),
    _City("Piura", "Piura", ("", 20001, 20009, 5), "73[2-8]#####", 5),
    _City("Cusco", "Cusco", ("", 8001, 8006, 5), "84######", 5),
    _City("Iquitos", "Loreto", ("", 16001, 16007, 5), "65######", 4),
    _City("Huancayo", "Junín", ("", 12001, 12007, 5), "64######", 4),
)

_ES_STREET_TYPES = _names("Calle 62, Avenida 14, Plaza 5, Paseo 5, Camino 3, Travesía 3, Ronda 3, "
                          "Glorieta 1, Carretera 2, Urbanización 2")
_ES_STREETS = _names("""
Mayor 20, Real 15, Nueva 10, del Sol, de la Paz, de San José, de Santa Ana, de Cervantes,
de Miguel de Unamuno, de Federico García Lorca, de Antonio Machado, de Juan Ramón Jiménez,
de la Iglesia, del Mercado, de los Reyes Católicos, de Goya, de Velázquez, de Isabel la Católica,
de Colón, del Pilar, del Doctor Fleming, de Ramón y Cajal, de la Constitución 15, de Andalucía,
de Europa, de América, de la Libertad, de Castilla, de Aragón, de Galicia, de Navarra, de los Olivos,
de las Flores, del Río, del Puerto, del Castillo, de la Fuente, de la Estación, del Prado, de Sevilla,
de Toledo, de Valencia, de Madrid, de Zaragoza, del Carmen, de San Antonio, de San Francisco,
de San Pedro, de Santiago, de la Rosa, del Olmo, de los Pinos, de Blasco Ibáñez, de Alfonso XIII,
de Jaime I, de Lope de Vega, de Quevedo, de Góngora, de Calderón de la Barca, del Arenal, de Bailén,
de la Reina Victoria, de la Hispanidad, de las Acacias, de la Alameda, de los Almendros, de Extremadura
""")
_CA_STREET_TYPES = _names("Carrer 60, Avinguda 15, Passeig 7, Plaça 6, Rambla 4, Travessera 2, Ronda 3")
_CA_STREETS = _names("Major, de Balmes, d'Aragó, de Mallorca, de València, de Sants, de Gràcia, "
                     "de la Diputació, de Pau Claris, de Sant Joan, de Sant Antoni, de la Pau, Nou, "
                     "de l'Església, del Mar, de Sardenya, de Provença, de Muntaner, d'Urgell, de Verdaguer, "
                     "de Jaume I, del Carme, de Catalunya, de Montserrat, de la Riera")
_GL_STREET_TYPES = _names("Rúa 60, Avenida 20, Praza 10, Camiño 5, Travesía 5")
_GL_STREETS = _names("do Franco, do Vilar, Nova, de San Pedro, da Raíña, do Hórreo, Real, "
                     "de Rosalía de Castro, de Galicia, do Porto, da Igrexa, de Castelao, do Sol, da Paz")
_MX_STREETS = _names("Av. Insurgentes Sur, Av. Reforma, Av. Juárez, Calle Morelos, Calle Hidalgo, "
                     "Calle 5 de Mayo, Calle Allende, Av. Revolución, Calle Zaragoza, Av. Universidad, "
                     "Calle Guerrero, Calle Independencia, Av. Vallarta, Calle Madero, Av. Chapultepec, "
                     "Calle Aldama, Av. Constitución, Calle Matamoros, Av. Benito Juárez, "
                     "Calle Niños Héroes, Av. López Mateos, Calle Emiliano Zapata, Calle Francisco Villa, "
                     "Av. Tecnológico, Calle Pino Suárez")
_MX_COLONIAS = _names("Centro 30, Roma Norte, Condesa, Del Valle, Narvarte, Polanco, Juárez, Obrera, Doctores, "
                      "Moderna, Portales, Las Américas, Jardines del Bosque, Chapultepec, Providencia, "
                      "Mitras Centro, Obispado, Cumbres, Lomas de Chapultepec, Reforma, Industrial, Jardín, "
                      "Las Flores, Santa Fe, San Ángel, La Estrella, El Mirador, Nueva Santa María, "
                      "San Rafael, Lindavista, Del Carmen")
_CO_STREET_TYPES = _names("Calle 40, Carrera 40, Avenida Calle 5, Avenida Carrera 5, Transversal 5, Diagonal 5")
_AR_STREETS = _names("Av. Corrientes, Av. Santa Fe, Av. Rivadavia, Av. Cabildo, Av. Callao, Av. de Mayo, "
                     "Florida, Av. Córdoba, Av. Belgrano, Lavalle, Tucumán, Sarmiento, Av. San Martín, "
                     "Mitre, Av. Independencia, Reconquista, Av. Pueyrredón, Güemes, Paraguay, Uruguay, "
                     "Av. Colón, Bv. Oroño, 9 de Julio, 25 de Mayo")
_CL_STREETS = _names("Av. Providencia, Av. Libertador Bernardo O'Higgins, Huérfanos, Av. Apoquindo, "
                     "Av. Vicuña Mackenna, Merced, Av. Matta, Av. Los Leones, Pasaje Los Aromos, "
                     "Av. Irarrázaval, Agustinas, Av. Grecia, Av. Pedro de Valdivia, San Diego, Av. Brasil, "
                     "Av. Alemania, Prat, Av. Colón, Maipú, Freire")
_PE_STREETS = _names("Av. Arequipa, Jr. de la Unión, Av. Larco, Calle Las Begonias, Av. Javier Prado Este, "
                     "Jr. Ica, Av. Brasil, Av. La Marina, Av. Angamos Oeste, Jr. Lampa, Av. Benavides, "
                     "Calle Schell, Av. Petit Thouars, Jr. Junín, Av. Ejército, Calle Mercaderes, Av. El Sol, "
                     "Av. España, Jr. Pizarro, Av. Grau")


# Phone numbers -----------------------------------------------------------------------------------

_CLASS = re.compile(r"\[([^\]]+)\]|(#+)|(\d+)")


class _PhonePattern:
    """A national number pattern: digits, `#` any digit, `[2-7]` a class: "91[2-7]######"."""

    def __init__(self, pattern: str):
        self.pattern = pattern
        self.parts: list[tuple[str, object]] = []
        for cls, run, literal in _CLASS.findall(pattern):
            if cls:
                chars = re.sub(r"(\d)-(\d)", lambda m: "".join(str(d) for d in range(int(m[1]), int(m[2]) + 1)),
                               cls)
                self.parts.append(("class", chars))
            elif run:
                self.parts.append(("run", len(run)))
            else:
                self.parts.append(("literal", literal))

    def make(self, rng: random.Random) -> str:
        out = []
        for kind, value in self.parts:
            if kind == "literal":
                out.append(value)
            elif kind == "class":
                out.append(value[int(rng.random() * len(value))])
            else:
                out.append(f"{int(rng.random() * 10 ** value):0{value}d}")
        return "".join(out)


@dataclass(frozen=True)
class _Dialing:
    code: str  # the country calling code
    mobiles: _Pool | None  # mobile number patterns; None: the city's own area code is used
    mobile_prefix: str = ""  # Argentina: a mobile is the landline pattern behind a 9


def _patterns(text: str) -> _Pool:
    pool = _names(text)
    weights = [b - a for a, b in zip([0.0] + pool.cum, pool.cum)]
    return _Pool([_PhonePattern(p) for p in pool.items], weights)


_DIALING = {
    "ES": _Dialing("34", _patterns("6######## 88, 7[1-4]####### 12")),
    "MX": _Dialing("52", None),  # ten digits behind the city's area code, mobile or not
    "CO": _Dialing("57", _patterns("30[0-5]####### 30, 31[0-9]####### 45, 32[0-3]####### 20, 35[01]####### 5")),
    "AR": _Dialing("54", None, mobile_prefix="9"),
    "CL": _Dialing("56", _patterns("96[0-8]###### 3, 99[3-9]###### 3, 97[1-9]###### 2, 93[0-57-9]###### 2")),
    "PE": _Dialing("51", _patterns("9########")),
}
_CITY_PATTERNS: dict[str, _PhonePattern] = {}


def _city_pattern(city: _City) -> _PhonePattern:
    pattern = _CITY_PATTERNS.get(city.landline)
    if pattern is None:
        pattern = _CITY_PATTERNS[city.landline] = _PhonePattern(city.landline)
    return pattern


def _national_mobile(country: str, city: _City, rng: random.Random) -> str:
    dialing = _DIALING[country]
    if dialing.mobiles is None:
        return dialing.mobile_prefix + _city_pattern(city).make(rng)
    return dialing.mobiles.pick(rng).make(rng)


@dataclass(frozen=True)
class _Phone:
    typed: str
    e164: str


def _typed_es(national: str, rng: random.Random) -> str:
    """How people write a Spanish number at a Spanish till."""
    roll = rng.random()
    if roll < 0.40:
        return f"{national[:3]} {national[3:6]} {national[6:]}"
    if roll < 0.68:
        return national
    if roll < 0.83:
        if national[0] == "9" and national[1] in "13":  # Madrid, Barcelona: 91 234 56 78
            return f"{national[:2]} {national[2:5]} {national[5:7]} {national[7:]}"
        return f"{national[:3]} {national[3:5]} {national[5:7]} {national[7:]}"
    if roll < 0.95:
        return f"+34 {national[:3]} {national[3:5]} {national[5:7]} {national[7:]}"
    return f"0034{national}"


def _typed_abroad(number: phonenumbers.PhoneNumber, rng: random.Random) -> str:
    """A foreign number as typed at a Spanish till: always with its country code."""
    roll = rng.random()
    if roll < 0.8:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if roll < 0.93:
        return e164
    return "00" + e164[1:]


# Tax IDs -----------------------------------------------------------------------------------------

_RFC_SKIP = {"DE", "DEL", "LA", "LAS", "LOS", "EL", "Y", "E", "MC", "MAC", "VON", "VAN", "DA", "DI"}
_RFC_HOMOCLAVE_1 = "123456789ABCDEFGHIJKLMNPQRSTUV"
_RFC_HOMOCLAVE_2 = "123456789ABCDEFGHIJKLMNPQRSTUVWXYZ"


def _upper_words(text: str) -> list[str]:
    return [w.upper() for w in customer_search.fold(text).split() if w.upper() not in _RFC_SKIP] or ["X"]


def _rfc_person(first: str, surname1: str, surname2: str, born: date, rng: random.Random) -> str:
    """An RFC as the SAT builds it: surname letters, a first-name initial, the birth date."""
    paternal = _upper_words(surname1)[0]
    maternal = _upper_words(surname2)[0] if surname2 else "X"
    names = _upper_words(first)
    given = names[1] if len(names) > 1 and names[0] in ("JOSE", "MARIA", "MA", "J") else names[0]
    vowel = next((ch for ch in paternal[1:] if ch in "AEIOU"), "X")
    letters = paternal[0] + vowel + maternal[0] + given[0]
    if letters in mx_rfc._name_blacklist:  # the SAT replaces the last letter of a rude word
        letters = letters[:3] + "X"
    return _rfc_tail(letters, born, rng)


def _rfc_company(name: str, founded: date, rng: random.Random) -> str:
    words = _upper_words(name)
    letters = "".join(w[0] for w in words[:3])
    if len(letters) < 3:
        letters = (letters + words[0][1:] + "XXX")[:3]
    return _rfc_tail(letters, founded, rng)


def _rfc_tail(letters: str, day: date, rng: random.Random) -> str:
    stem = (letters + day.strftime("%y%m%d") + _RFC_HOMOCLAVE_1[int(rng.random() * len(_RFC_HOMOCLAVE_1))]
            + _RFC_HOMOCLAVE_2[int(rng.random() * len(_RFC_HOMOCLAVE_2))])
    return stem + mx_rfc.calc_check_digit(stem)


def _digits(rng: random.Random, low: int, high: int, width: int) -> str:
    return f"{rng.randint(low, high):0{width}d}"


def _tax_id(country: str, kind: str, rng: random.Random, *, postal: str = "", legal_form: str = "",
            person: tuple[str, str, str] | None = None, born: date | None = None, name: str = "",
            female: bool = False) -> str:
    """A tax ID in its compact form, with correct check digits. `kind`: person, foreigner, company."""
    if country == "ES":
        if kind == "company":
            letter = {"S.A.": "A", "C.B.": "E", "S.Coop.": "F"}.get(legal_form, "B")
            province = postal[:2] if postal[:2].isdigit() and postal[:2] != "00" else "28"
            stem = letter + province + _digits(rng, 0, 99999, 5)
            return stem + es_cif.calc_check_digits(stem)[0]
        if kind == "foreigner":
            stem = ("X" if rng.random() < 0.45 else "Y") + _digits(rng, 0, 9999999, 7)
            return stem + es_nie.calc_check_digit(stem)
        stem = _digits(rng, 1_000_000, 79_999_999, 8)
        return stem + es_dni.calc_check_digit(stem)
    if country == "MX":
        if kind == "company":
            return _rfc_company(name, born or date(2000, 1, 1), rng)
        first, surname1, surname2 = person or ("X", "X", "X")
        return _rfc_person(first, surname1, surname2, born or date(1980, 1, 1), rng)
    if country == "CO":
        stem = (rng.choice(("800", "900", "901")) + _digits(rng, 0, 999999, 6) if kind == "company"
                else str(rng.randint(10_000_000, 1_299_999_999)))
        return stem + co_nit.calc_check_digit(stem)
    if country == "AR":
        while True:
            if kind == "company":
                stem = rng.choice(("30", "30", "33")) + _digits(rng, 50_000_000, 72_000_000, 8)
            else:
                stem = ("27" if female else "20") + _digits(rng, 10_000_000, 45_999_999, 8)
            check = ar_cuit.calc_check_digit(stem)
            if sum(w * int(n) for w, n in zip((5, 4, 3, 2, 7, 6, 5, 4, 3, 2), stem)) % 11 != 1:
                return stem + check  # (AFIP gives those another prefix: skip them)
    if country == "CL":
        stem = str(rng.randint(76_000_000, 77_999_999) if kind == "company" else rng.randint(5_000_000, 25_999_999))
        return stem + cl_rut.calc_check_digit(stem)
    if country == "PE":
        stem = ("20" + _digits(rng, 10_000_000, 99_999_999, 8) if kind == "company"
                else "10" + _digits(rng, 10_000_000, 79_999_999, 8))
        return stem + pe_ruc.calc_check_digit(stem)
    raise ValueError(country)


# Companies, terms, notes -------------------------------------------------------------------------

_ACTIVITIES = {
    "ES": _names("Ferretería 10, Panadería 8, Pastelería 4, Carnicería 5, Pescadería 4, Frutería 6, "
                 "Librería 3, Papelería 4, Bar 10, Restaurante 10, Cafetería 8, Talleres 6, Construcciones 8, "
                 "Reformas 7, Instalaciones Eléctricas 4, Fontanería 4, Limpiezas 5, Transportes 6, "
                 "Distribuciones 6, Asesoría 5, Gestoría 4, Inmobiliaria 4, Peluquería 5, Floristería 3, "
                 "Autoescuela 2, Academia 3, Clínica Dental 3, Óptica 3, Hostal 3, Bodegas 3, Farmacia 3, "
                 "Comercial 4, Suministros 4, Carpintería 4, Cerrajería 2, Mudanzas 2, Frutas y Verduras 3, "
                 "Hostelería 3, Catering 2, Informática 3, Electrodomésticos 2, Viveros 2, Lavandería 2"),
    "MX": _names("Abarrotes 10, Tortillería 6, Comercializadora 10, Distribuidora 8, Servicios Integrales 6, "
                 "Constructora 6, Ferretería 6, Papelería 4, Farmacia 4, Taquería 4, Refaccionaria 4, "
                 "Transportes 5, Grupo 6, Importadora 4, Consultores 4"),
    "CO": _names("Distribuidora 8, Comercializadora 8, Inversiones 6, Construcciones 6, Ferretería 5, "
                 "Panadería 5, Droguería 5, Transportes 5, Servicios 5, Soluciones 4, Importaciones 4"),
    "AR": _names("Distribuidora 8, Almacén 6, Ferretería 6, Panificadora 4, Construcciones 6, Transportes 5, "
                 "Inversiones 4, Servicios 5, Comercial 6, Librería 3, Kiosco 3"),
    "CL": _names("Comercial 10, Distribuidora 8, Inversiones 6, Constructora 6, Servicios 6, Transportes 5, "
                 "Ferretería 4, Panadería 4, Botillería 3"),
    "PE": _names("Corporación 6, Distribuidora 8, Inversiones 6, Constructora 6, Servicios Generales 6, "
                 "Comercial 8, Transportes 5, Ferretería 4, Panificadora 4, Importaciones 4"),
}
_PLACES = {
    "ES": _names("La Espiga, El Rincón, La Esquina, El Sol, La Estrella, Los Álamos, El Puerto, La Plaza, "
                 "San José, Santa Ana, La Ermita, El Molino, La Fuente, El Olivo, Las Palmeras, El Faro, "
                 "La Torre, Nuevo Horizonte, La Alameda, El Mirador, Virgen del Carmen, La Perla, El Cruce, "
                 "del Sur, del Norte, Levante, Castellana, Mediterránea, Atlántica, Andaluza, Cantábrica, "
                 "Ibérica"),
    "MX": _names("El Güero, La Guadalupana, del Bajío, del Pacífico, del Norte, La Esperanza, San Judas, "
                 "Los Pinos, Azteca, La Michoacana, del Golfo, La Central, Tres Hermanos"),
    "CO": _names("Andina, del Valle, del Caribe, La Montaña, Paisa, Antioqueña, La Sabana, El Dorado, "
                 "Cafetera"),
    "AR": _names("Rioplatense, del Litoral, Pampeana, La Porteña, del Plata, La Cordobesa, del Sur, "
                 "Patagónica"),
    "CL": _names("del Pacífico, Austral, Andina, del Maule, La Frontera, Los Andes, Santa Lucía"),
    "PE": _names("Inca, del Sur, Andina, Amazónica, Los Andes, del Pacífico, San Martín, El Rímac"),
}
_LEGAL_FORMS = {
    "ES": _names("S.L. 70, S.A. 10, S.L.U. 8, C.B. 7, S.Coop. 3, S.L.P. 2"),
    "MX": _names("S.A. de C.V. 70, S. de R.L. de C.V. 20, S.A.P.I. de C.V. 5, S.C. 5"),
    "CO": _names("S.A.S. 75, S.A. 10, Ltda. 15"),
    "AR": _names("S.R.L. 50, S.A. 40, S.A.S. 10"),
    "CL": _names("SpA 50, Ltda. 30, S.A. 20"),
    "PE": _names("S.A.C. 60, E.I.R.L. 25, S.A. 15"),
}
_SPECIAL_TERMS = _names("Factura mensual, Pago a 30 días, Entrega a domicilio los martes, "
                        "Precio de mayorista en aceite y conservas, Reservar el pan cada mañana, "
                        "Pedido semanal los lunes, Solo factura con pedido firmado, "
                        "Descuento pactado con el encargado, Entregar en el almacén (puerta trasera), "
                        "Enviar la factura por correo electrónico")
_NOTES = _names("Prefiere bolsa de papel, Alérgica a los frutos secos, Cliente desde la apertura, "
                "Avisar cuando llegue el pan sin gluten, Paga siempre en efectivo, Vecina del tercero, "
                "Recoge el periódico los domingos, Celíaco: productos sin gluten, "
                "Le gusta el pan poco hecho, Suele llamar antes de venir, Trae su propia bolsa, "
                "Encarga la tarta de cumpleaños en marzo")
_EMAIL_DOMAINS = _names("example.com 40, example.net 22, example.org 14, mail.example.com 12, "
                        "correo.example.net 12")
_COMPANY_MAILBOXES = _names("pedidos 30, administracion 25, info 25, compras 15, facturas 10")

_COUNTRIES = _pool((("ES", 80), ("MX", 6), ("CO", 4.5), ("AR", 4), ("PE", 3), ("CL", 2.5)))
_CITIES = {"ES": _ES_CITIES, "MX": _MX_CITIES, "CO": _CO_CITIES, "AR": _AR_CITIES, "CL": _CL_CITIES,
           "PE": _PE_CITIES}
_CITY_POOLS = {code: _Pool(cities, [c.weight for c in cities]) for code, cities in _CITIES.items()}
_ORIGINS_IN_SPAIN = _pool((("MX", 2), ("CO", 4), ("AR", 3), ("PE", 2), ("CL", 1)))
_LANGUAGES = {"MX": "es_MX", "CO": "es_CO", "AR": "es_AR", "CL": "es_CL", "PE": "es_PE"}
_TIMEZONES = {"ES": "Europe/Madrid", "MX": "America/Mexico_City", "CO": "America/Bogota",
              "AR": "America/Argentina/Buenos_Aires", "CL": "America/Santiago", "PE": "America/Lima"}


# The customers ------------------------------------------------------------------------------------


@dataclass
class _Sketch:
    """What the sales need to know of a customer before the customer is written."""

    country: str
    is_company: bool
    discount_bp: int
    payment: str
    archived: bool
    weight: float


_PERSON_PAYMENT = _pool((("", 60), (CASH, 20), (CARD, 20)))
_COMPANY_PAYMENT = _pool((("", 30), (TRANSFER, 30), ("account", 15), (CARD, 20), (CASH, 5)))


def _sketch(rng: random.Random) -> _Sketch:
    country = _COUNTRIES.pick(rng)
    is_company = rng.random() < 0.08
    if is_company:
        discount = rng.choice((300, 500, 500, 750, 1000, 1000, 1500)) if rng.random() < 0.25 else 0
        payment = _COMPANY_PAYMENT.pick(rng)
    else:
        discount = rng.choice((250, 500, 500, 1000)) if rng.random() < 0.02 else 0
        payment = _PERSON_PAYMENT.pick(rng)
    weight = min(rng.paretovariate(1.4), 300.0) * (3.0 if is_company else 1.0)
    return _Sketch(country, is_company, discount, payment, rng.random() < 0.004, weight)


class _Unique:
    """Values already taken (emails, phones, tax IDs, cards), from the database and this run."""

    def __init__(self, taken: Iterable[str] = ()):
        self.taken = {t for t in taken if t}

    def claim(self, value: str) -> bool:
        if not value or value in self.taken:
            return False
        self.taken.add(value)
        return True


def _plain(text: str) -> str:
    """As typed by someone who skips accents: "Núñez" -> "Nunez" (the case is kept)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _slug(text: str) -> str:
    return customer_search.fold(text).replace(" ", "")


class _CustomerMaker:
    def __init__(self, rng: random.Random, store_country: str, emails: _Unique, phones: _Unique,
                 tax_ids: _Unique, cards: _Unique):
        self.rng = rng
        self.store_country = store_country
        self.emails, self.phones, self.tax_ids, self.cards = emails, phones, tax_ids, cards

    # Pieces --------------------------------------------------------------------------------------

    def person_name(self, origin: str, region: str) -> tuple[str, str, str, bool]:
        rng = self.rng
        female = rng.random() < 0.53
        book = _BOOKS[origin]
        local = _BOOKS.get(region) if origin == "ES" else None
        first_book = local if local and rng.random() < 0.4 else book
        first = (first_book.female if female else first_book.male).pick(rng)
        surname1 = (local if local and rng.random() < 0.35 else book).surnames.pick(rng)
        surname2 = ""
        if rng.random() >= book.one_surname:
            surname2 = (local if local and rng.random() < 0.35 else book).surnames.pick(rng)
        return first, surname1, surname2, female

    def phone(self, country: str, city: _City, mobile: bool) -> _Phone:
        rng = self.rng
        dialing = _DIALING[country]
        for _attempt in range(50):
            national = _national_mobile(country, city, rng) if mobile else _city_pattern(city).make(rng)
            e164 = f"+{dialing.code}{national}"
            if e164 in self.phones.taken:
                continue
            if country == self.store_country == "ES":
                self.phones.claim(e164)
                return _Phone(_typed_es(national, rng), e164)
            number = phonenumbers.PhoneNumber(country_code=int(dialing.code), national_number=int(national))
            if not phonenumbers.is_valid_number(number):
                continue
            self.phones.claim(e164)
            return _Phone(_typed_abroad(number, rng), e164)
        raise RuntimeError(f"cannot make a new phone number for {country}")

    def email(self, first: str, surname1: str, surname2: str, born: date) -> str:
        rng = self.rng
        f = customer_search.fold(first).split()
        given = f[0] if f else "cliente"
        joined = "".join(f)
        s1 = _slug(surname1) or "x"
        s2 = _slug(surname2)
        forms = [f"{given}.{s1}", f"{given}.{s1}.{s2}" if s2 else f"{given}{s1}", f"{given[0]}{s1}",
                 f"{joined}{s1}", f"{given}_{s1}", f"{s1}.{given}", f"{given}{s1}{born:%y}",
                 f"{given[0]}.{s1}.{s2}" if s2 else f"{given}.{s1}{born:%y}"]
        start = int(rng.random() * len(forms)) if rng.random() < 0.6 else 0
        domain = _EMAIL_DOMAINS.pick(rng)
        for local in forms[start:] + forms[:start]:
            if self.emails.claim(f"{local}@{domain}"):
                return f"{local}@{domain}"
        while True:
            candidate = f"{forms[0]}{rng.randint(1, 9999)}@{domain}"
            if self.emails.claim(candidate):
                return candidate

    def company_email(self, name: str) -> str:
        rng = self.rng
        words = [w for w in customer_search.fold(name).split() if w not in {"s", "l", "a", "de", "c", "v", "u",
                                                                            "sl", "sa", "r", "coop", "p"}]
        slug = "".join(words)[:28] or "empresa"
        box = _COMPANY_MAILBOXES.pick(rng)
        for n in itertools.count(1):
            domain = f"{slug}.example.com" if n == 1 else f"{slug}{n}.example.com"
            if self.emails.claim(f"{box}@{domain}"):
                return f"{box}@{domain}"
        raise AssertionError("unreachable")

    def tax_id(self, country: str, kind: str, **kwargs) -> str:
        while True:
            value = _tax_id(country, kind, self.rng, **kwargs)
            if self.tax_ids.claim(value):
                return value

    def card(self) -> str:
        rng = self.rng
        while True:
            stem = "29" + f"{int(rng.random() * 10 ** 10):010d}"
            total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(stem))
            code = stem + str((10 - total % 10) % 10)
            if self.cards.claim(code):
                return code

    def address(self, country: str, city: _City, is_company: bool) -> tuple[str, str]:
        """(street and number, the rest: floor, door, colonia…) as written in that country."""
        rng = self.rng
        n = rng.randint

        def one_of(empty: float, *makers: Callable[[], str]) -> str:
            return "" if rng.random() < empty else makers[int(rng.random() * len(makers))]()

        if country == "ES":
            if city.region == "ca" and rng.random() < 0.6:
                street = f"{_CA_STREET_TYPES.pick(rng)} {_CA_STREETS.pick(rng)}"
            elif city.region == "gl" and rng.random() < 0.5:
                street = f"{_GL_STREET_TYPES.pick(rng)} {_GL_STREETS.pick(rng)}"
            else:
                street = f"{_ES_STREET_TYPES.pick(rng)} {_ES_STREETS.pick(rng)}"
            if is_company:
                extra = one_of(0.5, lambda: "Local 2", lambda: "Bajo", lambda: f"Nave {n(1, 30)}",
                               lambda: f"Oficina {n(1, 9)}")
            else:
                extra = one_of(0.45, lambda: f"{n(1, 9)}º {rng.choice('ABCD')}",
                               lambda: f"{n(1, 8)}º {rng.choice(('izq.', 'dcha.'))}", lambda: "Bajo",
                               lambda: f"{n(1, 6)}º {n(1, 4)}ª", lambda: "Ático")
            return f"{street} {n(1, 180)}", extra
        if country == "MX":
            street = f"{_MX_STREETS.pick(rng)} {n(1, 3000)}"
            if rng.random() < 0.2:
                street += f" Int. {n(1, 40)}"
            return street, f"Col. {_MX_COLONIAS.pick(rng)}"
        if country == "CO":
            suffix = rng.choice(("", "", "", "A", "B", " Bis", " Sur"))
            street = (f"{_CO_STREET_TYPES.pick(rng)} {n(1, 170)}{suffix} # "
                      f"{n(1, 120)}{rng.choice(('', '', 'A', 'B'))}-{n(1, 99)}")
            return street, one_of(0.4, lambda: f"Apto. {n(1, 20)}0{n(1, 9)}",
                                  lambda: f"Torre {n(1, 6)} Apto. {n(101, 1504)}",
                                  lambda: f"Local {n(1, 30)}", lambda: f"Oficina {n(101, 905)}")
        if country == "AR":
            return f"{_AR_STREETS.pick(rng)} {n(1, 6000)}", one_of(
                0.4, lambda: f"Piso {n(1, 14)}, Depto. {rng.choice('ABCDEF')}", lambda: "PB",
                lambda: f"Piso {n(1, 14)} {rng.choice('ABCD')}")
        if country == "CL":
            return f"{_CL_STREETS.pick(rng)} {n(1, 9000)}", one_of(
                0.4, lambda: f"Depto. {n(1, 24)}0{n(1, 9)}", lambda: f"Of. {n(101, 1805)}",
                lambda: f"Casa {n(1, 60)}")
        return f"{_PE_STREETS.pick(rng)} {n(100, 5200)}", one_of(
            0.45, lambda: f"Dpto. {n(1, 20)}0{n(1, 4)}", lambda: f"Int. {n(1, 30)}", lambda: f"Of. {n(101, 1204)}")

    # A whole customer ----------------------------------------------------------------------------

    def make(self, sketch: _Sketch) -> dict:
        """A customer's stored values, as `customers.clean` would have produced them."""
        rng = self.rng
        country = sketch.country
        city = _CITY_POOLS[country].pick(rng)
        v = {"is_company": sketch.is_company, "country": country, "tax_country": country,
             "preferred_payment": sketch.payment, "discount_bp": sketch.discount_bp,
             "credit_limit_minor": 0, "payment_terms_days": 0, "special_terms": "", "notes": "",
             "fiscal_extra": "{}", "loyalty_card": None, "street": "", "street2": "", "city": "",
             "state": "", "postal_code": "", "phone": "", "phone_e164": "", "mobile": "",
             "mobile_e164": "", "email": "", "tax_id": "", "fiscal_name": "", "needs_invoice": False,
             "language": "", "marketing_consent": False}
        postal = city.postal_code(rng)
        if sketch.is_company:
            self._company(v, country, city, postal)
        else:
            self._person(v, country, city, postal)
        if country == "MX" and v["tax_id"] and v["needs_invoice"]:
            regime = "601" if sketch.is_company else rng.choice(("612", "605", "626", "616", "606"))
            extra = {"regime": regime, "cfdi_use": rng.choice(("G03", "G03", "G01", "S01")),
                     "tax_postal_code": v["postal_code"] or postal}
            v["fiscal_extra"] = json.dumps(extra, sort_keys=True, ensure_ascii=False)
        return v

    def _person(self, v: dict, country: str, city: _City, postal: str) -> None:
        rng = self.rng
        origin = country
        if country == "ES" and rng.random() < 0.1:
            origin = _ORIGINS_IN_SPAIN.pick(rng)
        first, surname1, surname2, female = self.person_name(origin, city.region)
        name = " ".join(p for p in (first, surname1, surname2) if p)
        roll = rng.random()
        if roll < 0.06:
            name = _plain(name)
        elif roll < 0.08:
            name = name.upper()
        elif roll < 0.09:
            name = _plain(name).lower()
        v["name"] = name
        born = date(rng.randint(1940, 2006), rng.randint(1, 12), rng.randint(1, 28))
        # Phones: the first field usually holds the mobile.
        roll = rng.random()
        if roll < 0.80:
            phone = self.phone(country, city, mobile=True)
            v["phone"], v["phone_e164"] = phone.typed, phone.e164
        elif roll < 0.87:
            phone, mobile = self.phone(country, city, mobile=False), self.phone(country, city, mobile=True)
            v["phone"], v["phone_e164"] = phone.typed, phone.e164
            v["mobile"], v["mobile_e164"] = mobile.typed, mobile.e164
        elif roll < 0.92:
            phone = self.phone(country, city, mobile=False)
            v["phone"], v["phone_e164"] = phone.typed, phone.e164
        if rng.random() < 0.7:
            v["email"] = self.email(first, surname1, surname2, born)
        if rng.random() < 0.85:
            v["city"] = city.name
            if rng.random() < 0.8:
                v["postal_code"] = postal
            if rng.random() < 0.65:
                v["street"], v["street2"] = self.address(country, city, False)
                v["state"] = city.state if rng.random() < 0.7 else ""
        if rng.random() < 0.3:
            if country == "ES":
                kind = "foreigner" if origin != "ES" and rng.random() < 0.6 else "person"
            else:
                kind = "person"
            v["tax_id"] = self.tax_id(country, kind, person=(first, surname1, surname2), born=born,
                                      female=female)
            v["needs_invoice"] = rng.random() < 0.5
        if rng.random() < 0.35:
            v["loyalty_card"] = self.card()
        if country == "ES":
            if city.region and rng.random() < 0.2:
                v["language"] = city.region
            elif rng.random() < 0.4:
                v["language"] = "es"
        elif rng.random() < 0.5:
            v["language"] = _LANGUAGES[country] if rng.random() < 0.7 else "es"
        v["marketing_consent"] = rng.random() < 0.4
        if rng.random() < 0.03:
            v["notes"] = _NOTES.pick(rng)

    def _company(self, v: dict, country: str, city: _City, postal: str) -> None:
        rng = self.rng
        book = _BOOKS[country]
        activity = _ACTIVITIES[country].pick(rng)
        roll = rng.random()
        if roll < 0.35:
            core = book.surnames.pick(rng)
        elif roll < 0.5:
            core = f"Hermanos {book.surnames.pick(rng)}"
        elif roll < 0.6:
            core = f"{book.surnames.pick(rng)} e Hijos"
        elif roll < 0.7:
            core = f"{book.surnames.pick(rng)} y {book.surnames.pick(rng)}"
        elif roll < 0.8:
            core = city.name
        else:
            core = _PLACES[country].pick(rng)
        legal = _LEGAL_FORMS[country].pick(rng)
        trade = f"{activity} {core}"
        legal_name = f"{trade} {legal}"
        if rng.random() < 0.3:  # known by its trade name; invoices carry the legal one
            v["name"], v["fiscal_name"] = trade, legal_name
        else:
            v["name"], v["fiscal_name"] = legal_name, legal_name if rng.random() < 0.5 else ""
        founded = date(rng.randint(1975, 2022), rng.randint(1, 12), rng.randint(1, 28))
        v["tax_id"] = self.tax_id(country, "company", postal=postal, legal_form=legal, born=founded,
                                  name=legal_name.removesuffix(legal))
        v["needs_invoice"] = rng.random() < 0.95
        phone = self.phone(country, city, mobile=rng.random() < 0.1)
        v["phone"], v["phone_e164"] = phone.typed, phone.e164
        if rng.random() < 0.4:
            mobile = self.phone(country, city, mobile=True)
            v["mobile"], v["mobile_e164"] = mobile.typed, mobile.e164
        if rng.random() < 0.9:
            v["email"] = self.company_email(trade)
        v["street"], v["street2"] = self.address(country, city, True)
        v["city"], v["postal_code"], v["state"] = city.name, postal, city.state
        if country != "ES" or rng.random() < 0.1:
            v["language"] = "es" if country == "ES" else _LANGUAGES[country]
        if rng.random() < 0.15:
            v["credit_limit_minor"] = rng.choice((500, 1000, 1500, 2000, 3000, 5000)) * 100
            v["payment_terms_days"] = rng.choice((15, 30, 30, 60, 90))
        if rng.random() < 0.3:
            v["special_terms"] = _SPECIAL_TERMS.pick(rng)
        if rng.random() < 0.1:
            v["loyalty_card"] = self.card()
        v["marketing_consent"] = rng.random() < 0.2
        if rng.random() < 0.05:
            v["notes"] = _NOTES.pick(rng)


def check_phone_patterns(samples: int = 30, seed: int = 1) -> list[str]:
    """Phone patterns that make a number phonenumbers refuses ([] when all are good)."""
    rng = random.Random(seed)
    bad = []
    for country, cities in _CITIES.items():
        dialing = _DIALING[country]
        code = int(dialing.code)
        patterns = [(f"{c.name} landline", lambda c=c: _city_pattern(c).make(rng)) for c in cities]
        patterns += [(f"{c.name} mobile", lambda c=c: _national_mobile(country, c, rng)) for c in cities]
        for label, make in patterns:
            for _i in range(samples):
                national = make()
                if not phonenumbers.is_valid_number(phonenumbers.PhoneNumber(country_code=code,
                                                                             national_number=int(national))):
                    bad.append(f"{country} {label}: +{code} {national}")
                    break
    return bad


# The sales ---------------------------------------------------------------------------------------

_LINES_PER_ORDER = _pool(((1, 25), (2, 22), (3, 17), (4, 13), (5, 9), (6, 7), (7, 4), (8, 3)))
_QUANTITY = _pool(((1, 70), (2, 18), (3, 6), (4, 2), (5, 1), (6, 2), (10, 1)))
_HOURS = _pool(((9, 4), (10, 6), (11, 8), (12, 9), (13, 8), (14, 5), (15, 3), (16, 4), (17, 6), (18, 8),
                (19, 9), (20, 6)))
_WEEKDAY = (0.9, 0.9, 1.0, 1.0, 1.2, 1.45, 0.55)  # Monday … Sunday
_FLOATS = (10_000, 10_000, 15_000, 20_000)


@dataclass(frozen=True)
class _Product:
    id: int
    sku: str
    name: str
    price_minor: int
    tax_rate_bp: int
    price_includes_tax: bool
    track_stock: bool = True


def _utc_offsets(country: str, days: Sequence[date]) -> dict[date, timedelta]:
    """The store's UTC offset at midday on each day (summer time changes at night)."""
    try:
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(_TIMEZONES.get(country, "UTC"))
    except Exception:  # no time zone data on this machine: Spain's winter time
        return {d: timedelta(hours=1 if country == "ES" else 0) for d in days}
    return {d: datetime(d.year, d.month, d.day, 12, tzinfo=zone).utcoffset() or timedelta(0) for d in days}


def _db_time(moment: datetime) -> str:
    """A naive UTC timestamp as peewee stores it in SQLite (`str(datetime)`)."""
    return str(moment)


# Writing -----------------------------------------------------------------------------------------


class _Table:
    """Bulk inserts into one model's table: every column, model defaults for the ones not given."""

    def __init__(self, model: type[models.BaseModel]):
        self.model = model
        fields = model._meta.sorted_fields
        self.names = [f.name for f in fields]
        columns = ", ".join(f'"{f.column_name}"' for f in fields)
        params = ", ".join([db.database.param] * len(fields))
        self.sql = f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES ({params})'
        self.defaults = {}
        for f in fields:
            default = f.default() if callable(f.default) else f.default
            if isinstance(default, datetime):
                default = _db_time(default)
            elif isinstance(default, bool):
                default = int(default)
            self.defaults[f.name] = default
        # SQLite takes 0/1 for a boolean; PostgreSQL wants true/false.
        self.booleans = [] if db.is_sqlite() else [i for i, f in enumerate(fields) if isinstance(f, BooleanField)]
        self.rows: list[tuple] = []

    def add(self, values: dict) -> None:
        defaults = self.defaults
        self.rows.append(tuple(values[n] if n in values else defaults[n] for n in self.names))

    def flush(self) -> int:
        count = len(self.rows)
        if count:
            if self.booleans:
                rows = [list(row) for row in self.rows]
                for row in rows:
                    for i in self.booleans:
                        row[i] = None if row[i] is None else bool(row[i])
                self.rows = [tuple(row) for row in rows]
            cursor = db.database.cursor()
            if db.is_sqlite():
                cursor.executemany(self.sql, self.rows)
            else:  # one statement per thousand rows, not one per row
                from psycopg2.extras import execute_values

                execute_values(cursor, self.sql.split(" VALUES ")[0] + " VALUES %s", self.rows, page_size=1000)
            self.rows = []
        return count


def _next_id(model: type[models.BaseModel]) -> int:
    from peewee import fn

    return (model.select(fn.MAX(model._meta.primary_key)).scalar() or 0) + 1


def _fix_sequences(*tables: type[models.BaseModel]) -> None:
    """Explicit ids leave PostgreSQL's serial counters behind; move them on."""
    if db.is_sqlite():
        return
    for model in tables:
        table = model._meta.table_name
        db.database.execute_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM \"{table}\"))")


# The generator -----------------------------------------------------------------------------------


def generate(customers: int, orders: int, seed: int = 42, progress: Progress | None = None, *,
             today: date | None = None) -> GenerateSummary:
    """Add `customers` customers and `orders` paid sales over the last two years (up to the day
    before `today`) to the store. The store, its products and cashiers must exist.

    On PostgreSQL the customer search's full-text index is dropped meanwhile and built again at
    the end (faster than growing it row by row), then the tables are vacuumed and analysed."""
    if db.is_sqlite() or not customers:
        return _generate(customers, orders, seed, progress, today=today)
    customer_search.drop_postgres_index()
    try:
        return _generate(customers, orders, seed, progress, today=today)
    finally:
        with db.write():
            customer_search.ensure_postgres_index()
        db.database.execute_sql("VACUUM ANALYZE")


def _generate(customers: int, orders: int, seed: int, progress: Progress | None, *,
              today: date | None) -> GenerateSummary:
    if customers < 0 or orders < 0:
        raise ValueError("customers and orders must not be negative")
    started = time.perf_counter()
    shop = get_store()
    if shop is None:
        raise StateError(_("This database has no store yet: run `pos demo` or set one up in the till."))
    P, K = models.Product, models.Cashier
    products = [_Product(*row) for row in P.select(P.id, P.sku, P.name, P.price_minor, P.tax_rate_bp,
                                                   P.price_includes_tax, P.track_stock)
                .where(P.active == True).order_by(P.id).tuples()]  # noqa: E712
    cashiers = [row for row, in K.select(K.id).where(K.active == True).order_by(K.id).tuples()]  # noqa: E712
    if orders and (not products or not cashiers):
        raise StateError(_("The store needs products and cashiers before sales can be generated."))
    rng = random.Random(seed)
    today = today or db.now().date()
    done, total = 0, customers + orders

    def step(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, total)

    if progress is not None:
        progress(0, total)

    # 1. Who the customers are, as far as the sales need to know.
    sketches = [_sketch(rng) for _i in range(customers)]

    # 2. When the sales happen, at which till, for whom.
    days = [today - timedelta(days=n) for n in range(DAYS, 0, -1)]
    offsets = _utc_offsets(shop.country, days)
    day_weights = [_WEEKDAY[d.weekday()] * (0.8 + 0.4 * i / len(days)) for i, d in enumerate(days)]
    day_pool = _Pool(days, day_weights)
    till_pool = _pool(TILLS)
    plan = []  # (paid_at, till, customer index or -1)
    customer_pool = _Pool(range(customers), [s.weight for s in sketches]) if customers else None
    for _i in range(orders):
        day = day_pool.pick(rng)
        local = datetime(day.year, day.month, day.day, _HOURS.pick(rng), int(rng.random() * 60),
                         int(rng.random() * 60), int(rng.random() * 1_000_000))
        who = customer_pool.pick(rng) if customer_pool is not None and rng.random() < 0.78 else -1
        plan.append((local - offsets[day], till_pool.pick(rng), who, day))
    plan.sort(key=lambda p: p[0])
    visits = [0] * customers
    first_visit: list[datetime | None] = [None] * customers
    last_visit: list[datetime | None] = [None] * customers
    for paid_at, _till, who, _day in plan:
        if who >= 0:
            visits[who] += 1
            if first_visit[who] is None:
                first_visit[who] = paid_at
            last_visit[who] = paid_at

    # 3. The customers, in the order they were created (ids grow with time, as at a real till).
    created = []
    for index in range(customers):
        if first_visit[index] is not None:  # created at the till, during the first sale
            created.append(first_visit[index] - timedelta(seconds=30 + int(rng.random() * 240)))
        else:  # signed up for the loyalty card, or asked for an invoice, and never came back
            day = day_pool.pick(rng)
            created.append(datetime(day.year, day.month, day.day, _HOURS.pick(rng), int(rng.random() * 60),
                                    int(rng.random() * 60), int(rng.random() * 1_000_000)) - offsets[day])
    order_of_creation = sorted(range(customers), key=lambda i: (created[i], i))
    C, T = models.Customer, models.CustomerToken
    customer_ids = [0] * customers
    first_customer = _next_id(C) if customers else 0
    for rank, index in enumerate(order_of_creation):
        customer_ids[index] = first_customer + rank

    emails = _Unique(e.lower() for e, in C.select(C.email).where(C.email != "").tuples())
    phones = _Unique(itertools.chain.from_iterable(C.select(C.phone_e164, C.mobile_e164).tuples()))
    tax_ids = _Unique(t for t, in C.select(C.tax_id).where(C.tax_id != "").tuples())
    cards = _Unique(c for c, in C.select(C.loyalty_card).where(C.loyalty_card.is_null(False)).tuples())
    maker = _CustomerMaker(rng, shop.country, emails, phones, tax_ids, cards)
    token_count = 0
    with _bulk_session():
        customer_table, token_table = _Table(C), _Table(T)
        token_fields = ["token", "score", "customer"]
        token_order = None if token_table.names == token_fields else [
            token_fields.index(name) for name in token_table.names]
        for start in range(0, customers, CHUNK):
            with db.write():
                token_rows: list[tuple[str, int, int]] = []
                for index in order_of_creation[start:start + CHUNK]:
                    sketch = sketches[index]
                    values = maker.make(sketch)
                    made = created[index]
                    last = last_visit[index]
                    rank = customer_search.score(made, last, visits[index])
                    token_set = customer_search.tokens(values)
                    cid = customer_ids[index]
                    values.update(
                        id=cid, archived=int(sketch.archived), created_at=_db_time(made),
                        updated_at=_db_time(made), last_visit_at=_db_time(last) if last else None,
                        visit_count=visits[index], score=rank, points=0,
                        name_key=customer_search.name_key(values["name"]),
                        search_key=customer_search.search_key(token_set),
                        marketing_consent_at=_db_time(made) if values["marketing_consent"] else None,
                        is_company=int(values["is_company"]), needs_invoice=int(values["needs_invoice"]),
                        marketing_consent=int(values["marketing_consent"]))
                    customer_table.add(values)
                    if not sketch.archived:
                        token_rows.extend((t, rank, cid) for t in token_set)
                customer_table.flush()
                token_rows.sort()  # in index order: the pages fill one after the other
                token_table.rows = token_rows if token_order is None else [
                    tuple(row[i] for i in token_order) for row in token_rows]
                token_count += token_table.flush()
            step(min(CHUNK, customers - start))
        _fix_sequences(C)

        # 4. The sessions (one per day and till), the sales, their lines and payments.
        book = _LoyaltyBook(random.Random(f"loyalty:{seed}"), shop.exponent, offsets) if orders else None
        summary = _write_sales(rng, plan, products, cashiers, sketches, customer_ids, offsets, step, book)
    return GenerateSummary(customers, orders, summary["lines"], summary["payments"], summary["sessions"],
                           token_count, time.perf_counter() - started, seed,
                           days[0] if orders else None, days[-1] if orders else None,
                           summary.get("loyalty_entries", 0))


class _bulk_session:
    """A larger page cache while generating, put back afterwards."""

    def __enter__(self):
        self.previous = None
        if db.is_sqlite():
            self.previous = db.database.execute_sql("PRAGMA cache_size").fetchone()[0]
            db.database.execute_sql(f"PRAGMA cache_size = -{GENERATION_CACHE_KIB}")
        return self

    def __exit__(self, *exc):
        if self.previous is not None:
            db.database.execute_sql(f"PRAGMA cache_size = {int(self.previous)}")
            db.database.execute_sql("PRAGMA shrink_memory")
        return False


def _cash_tender(total: int, rng: random.Random) -> int:
    """What a customer hands over for `total` in cash: exact, or the next coin or note up."""
    roll = rng.random()
    for threshold, unit in ((0.25, 1), (0.45, 100), (0.65, 500), (0.80, 1000), (0.90, 2000), (1.0, 5000)):
        if roll < threshold:
            return -(-total // unit) * unit
    return total


def _tenders(total: int, preference: str, rng: random.Random) -> list[Tender]:
    """How the customer pays: their habit when they have one, else cash or card, a few split."""
    roll = rng.random()
    if preference in (TRANSFER, "account") and roll < 0.7:
        return [Tender(TRANSFER, total)]
    if preference == CASH:
        method = CASH if roll < 0.85 else CARD
    elif preference == CARD:
        method = CARD if roll < 0.85 else CASH
    elif roll > 0.97 and total > 500:  # part by card, the rest in cash
        part = 100 * (1 + int(rng.random() * (total // 100 - 1)))
        return [Tender(CARD, part), Tender(CASH, _cash_tender(total - part, rng))]
    else:
        method = CASH if roll < 0.45 else CARD
    return [Tender(CASH, _cash_tender(total, rng))] if method == CASH else [Tender(CARD, total)]


def _write_sales(rng: random.Random, plan, products: list[_Product], cashiers: list[int],
                 sketches: list[_Sketch], customer_ids: list[int], offsets: dict[date, timedelta],
                 step: Callable[[int], None], book: _LoyaltyBook | None = None) -> dict:
    S, O, L, Pay, Seq = models.PosSession, models.Order, models.OrderLine, models.Payment, models.Sequence
    counts = {"lines": 0, "payments": 0, "sessions": 0}
    if not plan:
        return counts
    product_pool = _Pool(products, [100.0 / (p.price_minor / 100 + 1) for p in products])
    amounts_cache: dict[tuple[int, int, int], LineAmounts] = {}

    # Sessions: one per (day, till) with sales, opened before the first and closed after the last;
    # their expected cash is set once every sale is written.
    sessions: dict[tuple[date, str], dict] = {}
    next_session = _next_id(S)
    for _paid_at, till, _who, day in plan:
        if (day, till) not in sessions:
            offset = offsets[day]
            sessions[(day, till)] = {
                "id": next_session, "till": till, "cashier": cashiers[int(rng.random() * len(cashiers))],
                "opened_at": _db_time(datetime(day.year, day.month, day.day, 8, 40 + int(rng.random() * 19))
                                      - offset),
                "closed_at": _db_time(datetime(day.year, day.month, day.day, 21, 5 + int(rng.random() * 20))
                                      - offset),
                "opening_float_minor": _FLOATS[int(rng.random() * len(_FLOATS))], "cash": 0}
            next_session += 1
    with db.write():
        session_table = _Table(S)
        for session in sessions.values():
            session_table.add(session)
        counts["sessions"] = session_table.flush()
        _fix_sequences(S)

    # Numbers continue each till's sequence.
    tills = sorted({till for _paid, till, _who, _day in plan})
    numbers = {till: Seq.select(Seq.last_value).where(Seq.name == f"order:{till}").scalar() or 0
               for till in tills}
    next_order, next_line, next_payment = _next_id(O), _next_id(L), _next_id(Pay)
    order_table, line_table, payment_table = _Table(O), _Table(L), _Table(Pay)
    move_table = _Table(models.StockMove)  # the stock ledger: each line of a tracked product goes out
    next_move = _next_id(models.StockMove)
    for start in range(0, len(plan), CHUNK):
        with db.write():
            for paid_at, till, who, day in plan[start:start + CHUNK]:
                session = sessions[(day, till)]
                sketch = sketches[who] if who >= 0 else None
                discount = sketch.discount_bp if sketch else 0
                wanted = _LINES_PER_ORDER.pick(rng)
                chosen: dict[int, _Product] = {}
                for _attempt in range(wanted * 3):
                    product = product_pool.pick(rng)
                    chosen.setdefault(product.id, product)
                    if len(chosen) == wanted:
                        break
                lines = []
                for product in chosen.values():
                    quantity = _QUANTITY.pick(rng)
                    key = (product.id, quantity, discount)
                    amounts = amounts_cache.get(key)
                    if amounts is None:
                        amounts = amounts_cache[key] = line_amounts(
                            product.price_minor, quantity, product.tax_rate_bp, product.price_includes_tax,
                            discount)
                    lines.append((product, quantity, amounts))
                totals = order_totals((product.tax_rate_bp, amounts) for product, _q, amounts in lines)
                tenders = _tenders(totals.total_minor, sketch.payment if sketch else "", rng)
                points_money = 0
                if book is not None and who >= 0:
                    tenders, points_money = book.tenders(customer_ids[who], paid_at, totals.total_minor, tenders)
                payments = plan_payments(totals.total_minor, tenders)
                session["cash"] += sum(p.amount_minor for p in payments.lines if p.method == CASH)
                numbers[till] += 1
                order_id = next_order
                next_order += 1
                paid_text = _db_time(paid_at)
                order_table.add({
                    "id": order_id, "uuid": uuidlib.UUID(int=rng.getrandbits(128), version=4).hex,
                    "number": f"{till}-{numbers[till]:06d}", "state": "paid", "till": till,
                    "session": session["id"], "cashier": session["cashier"],
                    "customer": customer_ids[who] if who >= 0 else None, "discount_bp": discount,
                    "discount_minor": totals.discount_minor, "net_minor": totals.net_minor,
                    "tax_minor": totals.tax_minor, "total_minor": totals.total_minor,
                    "created_at": _db_time(paid_at - timedelta(seconds=20 + int(rng.random() * 300))),
                    "updated_at": paid_text, "paid_at": paid_text})
                for product, quantity, amounts in lines:
                    line_table.add({
                        "id": next_line, "order": order_id, "product": product.id, "sku": product.sku,
                        "name": product.name, "quantity": quantity, "unit_price_minor": product.price_minor,
                        "tax_rate_bp": product.tax_rate_bp, "price_includes_tax": int(product.price_includes_tax),
                        "discount_bp": discount, "discount_minor": amounts.discount_minor,
                        "net_minor": amounts.net_minor, "tax_minor": amounts.tax_minor,
                        "total_minor": amounts.total_minor})
                    if product.track_stock:
                        move_table.add({"id": next_move, "product": product.id, "at": paid_text, "kind": "sale",
                                        "quantity": -quantity, "order": order_id, "line": next_line,
                                        "cashier": session["cashier"], "till": till})
                        next_move += 1
                    next_line += 1
                for payment in payments.lines:
                    payment_table.add({
                        "id": next_payment, "order": order_id, "method": payment.method,
                        "amount_minor": payment.amount_minor, "tendered_minor": payment.tendered_minor,
                        "change_minor": payment.change_minor, "created_at": paid_text})
                    next_payment += 1
                if book is not None and who >= 0:
                    book.checkout(customer_ids[who], order_id, paid_at, totals.total_minor, lines, points_money)
            order_table.flush()
            counts["lines"] += line_table.flush()
            counts["payments"] += payment_table.flush()
            move_table.flush()
            if book is not None:
                if start + CHUNK >= len(plan):
                    book.expire_until(None)  # the nightly runs after the last sale
                counts["loyalty_entries"] = counts.get("loyalty_entries", 0) + book.flush()
            if start + CHUNK >= len(plan):  # the last chunk: close the books
                for session in sessions.values():
                    expected = session["opening_float_minor"] + session["cash"]
                    counted = expected
                    if rng.random() < 0.08:  # a few drawers are a little off
                        counted = max(0, expected + rng.choice((-1, 1)) * rng.choice((5, 10, 20, 50, 100, 500)))
                    S.update(expected_cash_minor=expected, counted_cash_minor=counted).where(
                        S.id == session["id"]).execute()
                for till, value in numbers.items():
                    name = f"order:{till}"
                    Seq.insert(name=name, last_value=0).on_conflict_ignore().execute()
                    Seq.update(last_value=value).where(Seq.name == name).execute()
                _fix_sequences(O, L, Pay, models.StockMove)
                if book is not None:
                    book.save_balances()
        step(min(CHUNK, len(plan) - start))
    return counts


# The loyalty ledger ------------------------------------------------------------------------------

#: A customer whose points are worth at least this many currency units pays part of a sale with
#: them this often.
REDEEM_FROM_UNITS = 5
REDEEM_SHARE = 0.3


class _LoyaltyBook:
    """The loyalty ledger of the generated sales, kept in memory as the sales are written in time
    order and written out with each chunk: what `loyalty.on_checkout` writes at each checkout
    (redeem, then earn), and what `loyalty.expire` writes when run every night at 03:00 (local
    time). A lot is `[expires_at, entry id, points left]`; each customer's lots are kept in the
    order the services take them (closest to expiry first, never-expiring last)."""

    def __init__(self, rng: random.Random, exp: int, offsets: dict[date, timedelta]):
        R, P = models.LoyaltyRule, models.Product
        rows = list(R.select().order_by(R.valid_from, R.id))
        self.starts = [row.valid_from for row in rows]
        self.versions = [(row.id, loyalty._rules(row)) for row in rows]
        self.default = (None, loyalty._rules(None))
        self.categories = dict(P.select(P.id, P.category).tuples())
        self.rng, self.exp = rng, exp
        self.runs = [datetime(d.year, d.month, d.day, 3) - offsets[d] for d in sorted(offsets)]
        self.next_run = 0
        self.lots: dict[int, list[list]] = {}
        self.balance: dict[int, int] = {}
        self.spend: dict[int, deque] = {}
        self.spend_sum: dict[int, int] = {}
        self.expiring: list[tuple] = []  # heap of (expires_at, entry id, customer, order, lot)
        self.entries, self.uses = _Table(models.LoyaltyEntry), _Table(models.LoyaltyUse)
        self.next_entry, self.next_use = _next_id(models.LoyaltyEntry), _next_id(models.LoyaltyUse)
        self.written = 0

    def rules_at(self, at: datetime) -> tuple[int | None, loyalty.Rules]:
        index = bisect.bisect_right(self.starts, at) - 1
        return self.versions[index] if index >= 0 else self.default

    def _entry(self, customer: int, at: datetime, kind: str, points: int, order: int | None, *,
               rule: int | None = None, expires_at: datetime | None = None, reason: str = "") -> int:
        entry_id = self.next_entry
        self.next_entry += 1
        self.entries.add({"id": entry_id, "customer": customer, "at": _db_time(at), "kind": kind, "points": points,
                          "order": order, "rule": rule, "cashier": None, "reason": reason,
                          "expires_at": _db_time(expires_at) if expires_at else None})
        self.balance[customer] = self.balance.get(customer, 0) + points
        return entry_id

    def _use(self, entry: int, source: int, points: int) -> None:
        self.uses.add({"id": self.next_use, "entry": entry, "source": source, "points": points})
        self.next_use += 1

    def expire_until(self, at: datetime | None) -> None:
        """The nightly expiry runs up to `at` (None: every run)."""
        while self.next_run < len(self.runs) and (at is None or self.runs[self.next_run] <= at):
            run = self.runs[self.next_run]
            self.next_run += 1
            while self.expiring and self.expiring[0][0] <= run:
                _expires, source, customer, order, lot = heapq.heappop(self.expiring)
                left = lot[2]
                if left <= 0:
                    continue
                entry = self._entry(customer, run, loyalty.EXPIRE, -left, order, reason=f"#{source}")
                self._use(entry, source, left)
                lot[2] = 0
                self.lots[customer] = [other for other in self.lots[customer] if other[2] > 0]

    def tenders(self, customer: int, paid_at: datetime, total: int, drawn: list[Tender]) -> tuple[list[Tender], int]:
        """Now and then, part of the sale paid with points: the tenders and the money paid with points."""
        self.expire_until(paid_at)
        _rule, rules = self.rules_at(paid_at)
        worth = loyalty.money_for_points(self.balance.get(customer, 0), rules)
        if not rules.enabled or worth < REDEEM_FROM_UNITS * 10 ** self.exp or self.rng.random() >= REDEEM_SHARE:
            return drawn, 0
        money = min(total, worth)
        rest = total - money
        tenders = [Tender(POINTS, money)]
        if rest:
            method = drawn[0].method
            tenders.append(Tender(CASH, _cash_tender(rest, self.rng)) if method == CASH else Tender(method, rest))
        return tenders, money

    def checkout(self, customer: int, order: int, paid_at: datetime, total: int, lines, points_money: int) -> None:
        """What `loyalty.on_checkout` writes for this sale."""
        rule_id, rules = self.rules_at(paid_at)
        if points_money:
            points = loyalty.points_for_money(points_money, rules)
            entry = self._entry(customer, paid_at, loyalty.REDEEM, -points, order, rule=rule_id)
            lots = self.lots[customer]
            for lot in lots:
                taken = min(lot[2], points)
                if taken <= 0:
                    break
                self._use(entry, lot[1], taken)
                lot[2] -= taken
                points -= taken
            self.lots[customer] = [lot for lot in lots if lot[2] > 0]
        window = self.spend.setdefault(customer, deque())
        since = paid_at - timedelta(days=365)
        previous = self.spend_sum.get(customer, 0)
        while window and window[0][0] < since:
            previous -= window.popleft()[1]
        window.append((paid_at, total))
        self.spend_sum[customer] = previous + total
        if not rules.enabled or total < rules.min_order_minor:
            return
        tier = loyalty.tier_for(previous, rules)
        eligible = sum(amounts.total_minor for product, _q, amounts in lines
                       if not (product.sku.upper() in rules.excluded_skus
                               or (self.categories.get(product.id) and
                                   self.categories[product.id] in rules.excluded_categories)))
        units = Decimal(max(0, eligible - points_money)).scaleb(-self.exp)
        earned = int((units * rules.points_per_unit_milli / 1000 * tier.multiplier_bp / 10_000)
                     .to_integral_value(rounding=ROUND_FLOOR))
        if earned <= 0:
            return
        expires = paid_at + timedelta(days=rules.expiry_days) if rules.expiry_days else None
        entry = self._entry(customer, paid_at, loyalty.EARN, earned, order, rule=rule_id, expires_at=expires)
        lot = [expires, entry, earned]
        bisect.insort(self.lots.setdefault(customer, []), lot,
                      key=lambda lot: (lot[0] is None, lot[0] or datetime.min, lot[1]))
        if expires is not None:
            heapq.heappush(self.expiring, (expires, entry, customer, order, lot))

    def flush(self) -> int:
        """Write what the chunk's sales added to the ledger (after their orders)."""
        count = self.entries.flush()
        self.uses.flush()
        self.written += count
        return count

    def save_balances(self) -> None:
        """`Customer.points`, the ledger's cache, set to each customer's balance."""
        changed = [(points, customer) for customer, points in self.balance.items() if points]
        if changed:
            param = db.database.param
            db.database.cursor().executemany(f'UPDATE "customer" SET "points" = {param} WHERE "id" = {param}',
                                             changed)
        _fix_sequences(models.LoyaltyEntry, models.LoyaltyUse)
