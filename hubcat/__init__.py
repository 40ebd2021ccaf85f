"""HubCat: a CSW catalogue of sensors and sensor services (STA, SOS) built on pycsw."""
import warnings

__version__ = '0.1.0'

# pycsw 2.6.2 imports a shapely name that shapely 2 deprecates; nothing for users to act on
warnings.filterwarnings('ignore', message='ReadingError is deprecated', category=FutureWarning)
# pycsw 2.6.2 imports pkg_resources (setuptools < 81 is pinned for it); its deprecation
# warning is pycsw's to fix
warnings.filterwarnings('ignore', message='pkg_resources is deprecated', category=UserWarning)
