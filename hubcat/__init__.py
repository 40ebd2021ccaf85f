"""HubCat: a CSW catalogue of sensors and sensor services (STA, SOS) built on pycsw."""
import warnings

__version__ = '0.1.0'

# pycsw 2.6.2 imports a shapely name that shapely 2 deprecates; nothing for users to act on
warnings.filterwarnings('ignore', message='ReadingError is deprecated', category=FutureWarning)
